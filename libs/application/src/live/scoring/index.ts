// Exports of the scoring part of live use: online scoring and the derived pilot measures.
export * from './live-measures.service';
export * from './live-scoring.service';
