export * from './queue-connection';
