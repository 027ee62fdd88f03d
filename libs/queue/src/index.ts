export * from './bullmq-job-queue';
export * from './contracts';
export * from './create-job-queue';
export * from './in-process-job-queue';
export * from './job-queue';
export * from './queue-connection';
export * from './with-timeout';
