export * from './config';
export * from './secret';
export * from './notify-config';
export * from './oidc-config';
