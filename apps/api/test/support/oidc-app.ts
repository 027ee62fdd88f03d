import { type TestOidcClient, type TestOidcProvider } from '@gatehouse/testing';
import { TestApi } from './test-api';

/** A Gatehouse signing in through a test OpenID provider: its client there, and the app set up for it. */
export interface OidcApp {
  clientId: string;
  clientSecret: string;
  /** The sign-in button's text (the provider's name on Gatehouse's pages). */
  providerName: string;
}

/** The provider's client for one Gatehouse: its callback, and /signed-out as its post-logout redirect URI. */
export const oidcClientFor = (app: OidcApp, gatehouseUrl: string): TestOidcClient => ({
  client_id: app.clientId,
  client_secret: app.clientSecret,
  redirect_uris: [`${gatehouseUrl}/sign-in/oidc/callback`],
  post_logout_redirect_uris: [`${gatehouseUrl}/signed-out`],
  token_endpoint_auth_method: 'client_secret_post',
});

/** The API at `gatehouseUrl`, signing in through `provider` as `app`'s client (plain http allowed: tests). */
export const startOidcApi = (
  app: OidcApp,
  gatehouseUrl: string,
  provider: TestOidcProvider,
  env: Record<string, string> = {},
): Promise<TestApi> =>
  TestApi.start({
    GATEHOUSE_PUBLIC_URL: gatehouseUrl,
    GATEHOUSE_OIDC_ISSUER: provider.issuer,
    GATEHOUSE_OIDC_CLIENT_ID: app.clientId,
    GATEHOUSE_OIDC_CLIENT_SECRET: app.clientSecret,
    GATEHOUSE_OIDC_ALLOW_HTTP: 'true',
    GATEHOUSE_OIDC_BUTTON_TEXT: app.providerName,
    ...env,
  });
