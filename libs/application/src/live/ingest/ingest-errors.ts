/**
 * The database could not store (or look up) live data just now: the API answers 503 with Retry-After, which
 * the OpenTelemetry exporters retry (they drop a batch answered 500), so a database restart loses no span.
 */
export class IngestUnavailableError extends Error {
  constructor() {
    super('The live data could not be stored just now: send it again shortly.');
    this.name = 'IngestUnavailableError';
  }
}
