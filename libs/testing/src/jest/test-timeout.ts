// The project's default budget for each test and hook (`globals.gatehouseTestTimeout` in jest.config.js).
// Jest reads `testTimeout` from the top-level config only and ignores it inside `projects`
// (jestjs/jest#9696), so each project sets its own here. A file's own `jest.setTimeout` runs later and wins.
const timeout = (globalThis as { gatehouseTestTimeout?: unknown }).gatehouseTestTimeout;
if (typeof timeout === 'number') {
  jest.setTimeout(timeout);
}
