export * from './describe-integration';
export * from './services';
export * from './test-database';
export * from './postgres-admin';
export * from './processes';
export * from './openai-stub';
export * from './givens';
export * from './stored-givens';
