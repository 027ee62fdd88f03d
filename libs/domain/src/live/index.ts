export * from './live-span';
export * from './live-settings';
export * from './sampling';
export * from './live-measures';
export * from './watch';
export * from './live-access';
