export const WATCH_CONTROLLERS = [];
