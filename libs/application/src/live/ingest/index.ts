// Exports of the ingest part of live use.
export * from './genai-spans';
export * from './ingest-auth.service';
export * from './ingest-bounds';
export * from './ingest-errors';
export * from './ingest-inputs';
export * from './ingest-rate-limiter';
export * from './live-ingest.service';
export * from './live-text';
export * from './otlp-messages';
export * from './otlp-spans';
export * from './otlp-wire-bounds';
export * from './otlp-wire-spans';
