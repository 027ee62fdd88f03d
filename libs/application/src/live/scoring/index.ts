// Exports of the scoring part of live use.
export * from './live-scoring.service';
