// Exports of the admin part of live use.
export * from './ingest-tokens.service';
export * from './live-admin-inputs';
export * from './live-admin.views';
export * from './live-settings.service';
export * from './live-settings-notices';
