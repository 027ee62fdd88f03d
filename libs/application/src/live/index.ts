export * from './admin';
export * from './ingest';
export * from './scoring';
export * from './watch';
export * from './live-settings';
