import { LiveIngestController } from './ingest/live-ingest.controller';
import { OtlpTracesController } from './ingest/otlp-traces.controller';

/** Live data in: the OTLP/HTTP trace receiver and the JSON interactions, feedback and heartbeat routes. */
export const INGEST_CONTROLLERS = [OtlpTracesController, LiveIngestController];
