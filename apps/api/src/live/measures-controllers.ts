export const MEASURES_CONTROLLERS = [];
