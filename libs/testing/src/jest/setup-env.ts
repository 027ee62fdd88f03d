// Runs in every test file before its imports: the process-wide settings Gatehouse assumes.
process.env.TZ = 'UTC';
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL ??= 'silent';
