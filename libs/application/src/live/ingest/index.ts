// Exports of the ingest part of live use.
export {};
