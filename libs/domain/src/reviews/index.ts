export * from './review-labels';
export * from './review-sample';
export * from './review-statistics';
export * from './review-independence';
