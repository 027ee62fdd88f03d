// Derived pilot measures (daily aggregates of live use): built by the online-scoring work.
export {};
