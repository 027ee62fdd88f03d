// Exports of the watch part of live use.
export * from './attestation.service';
export * from './watch-alerts';
export * from './watch-alerts.service';
export * from './watch.service';
