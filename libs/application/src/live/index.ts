export * from './admin';
export * from './ingest';
export * from './scoring';
export * from './watch';
