export const LIVE_ADMIN_PROVIDERS = [];
