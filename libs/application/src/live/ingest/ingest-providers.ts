export const INGEST_PROVIDERS = [];
