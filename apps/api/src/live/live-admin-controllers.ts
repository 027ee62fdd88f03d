export const LIVE_ADMIN_CONTROLLERS = [];
