export const INGEST_CONTROLLERS = [];
