import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import Provider, { errors } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { isLocked } from '../../core/account.js';
import type { Clock } from '../../platform/clock.js';
import { constantTimeEqual, type Secrets } from '../../platform/secrets.js';
import type { RoleRepository } from '../roles/repository.js';
import type { UserRepository } from '../users/repository.js';
import { createAdapterClass } from './adapter.js';
import type { ClientCache } from './client-cache.js';
import { hashClientSecret, oidcScopes } from './clients.js';
import type { PrivateJwk } from './keys.js';
import type { OidcRepository } from './repository.js';

/** The provider's own pages (errors, the sign-out question), drawn by the web layer in our layout. */
export interface ProviderViews {
  error(details: { error: string; description: string | undefined }): string;
  logoutQuestion(form: string, clientName: string | undefined): string;
  /** After the sign-out question: on to the app, by a new navigation (see buildProvider). */
  leaving(url: string, clientName: string | undefined): string;
  signedOut(clientName: string | undefined): string;
  /** The CSP the hosted pages are served with. */
  contentSecurityPolicy: string;
}

export interface ProviderDeps {
  config: Pick<Config, 'publicUrl' | 'sessionTtlSeconds' | 'refreshTokenTtlSeconds'>;
  oidc: OidcRepository;
  oidcClientCache: ClientCache;
  users: UserRepository;
  roles: RoleRepository;
  secrets: Secrets;
  clock: Clock;
  logger: Logger;
  sessionIsLive(sessionId: string, accountId: string): Promise<boolean>;
}

// Short-lived by design: an app refreshes, and a refresh re-checks the session and the account.
export const accessTokenTtlSeconds = 3_600;
export const idTokenTtlSeconds = 3_600;
const authorizationCodeTtlSeconds = 60;
const interactionTtlSeconds = 3_600;

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The issuer: PUBLIC_URL/oidc. */
export const issuerOf = (publicUrl: string) => `${publicUrl}/oidc`;

/**
 * Builds panva's oidc-provider over our storage, keys, accounts and pages.
 * What it implements is the protocol; what is ours is written here: who the
 * accounts are and what they claim, how long things live, which algorithms
 * and features are on, and that every token is bound to the session.
 */
export function buildProvider(deps: ProviderDeps, keys: PrivateJwk[], views: ProviderViews): Provider {
  const { config, oidc, users, roles, secrets, clock, logger } = deps;

  const sendPage = (
    ctx: Pick<KoaContextWithOIDC, 'status' | 'type' | 'set' | 'body'>,
    status: number,
    body: string,
  ) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('content-security-policy', views.contentSecurityPolicy);
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  };

  const configuration: Configuration = {
    adapter: createAdapterClass({ oidc, clients: deps.oidcClientCache, clock, sessionIsLive: deps.sessionIsLive }),
    jwks: { keys },
    cookies: {
      // Signed with a key derived from APP_SECRET: the same on every instance, different per deployment.
      keys: [secrets.mac('oidc-cookies', 'v1')],
      long: { signed: true, sameSite: 'lax' },
      short: { signed: true, sameSite: 'lax' },
    },
    scopes: [...oidcScopes],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'updated_at'],
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
      roles: ['roles', 'permissions'],
    },
    extraClientMetadata: { properties: ['first_party'] },
    async findAccount(_ctx, sub) {
      const id = Number(sub);
      if (!Number.isSafeInteger(id) || id <= 0) return undefined;
      const user = await users.findUserById(id);
      // A locked account's codes and refresh tokens stop working at once (invalid_grant).
      if (!user || isLocked(user, clock.now())) return undefined;
      return {
        accountId: sub,
        async claims(_use, scope) {
          const access = scope.split(' ').includes('roles') ? await roles.findRolesAndPermissions(id) : null;
          return {
            sub,
            name: [user.firstName, user.lastName].filter(Boolean).join(' ') || undefined,
            given_name: user.firstName ?? undefined,
            family_name: user.lastName ?? undefined,
            updated_at: epochSeconds(user.updatedAt),
            email: user.email,
            email_verified: user.emailVerifiedAt !== null,
            phone_number: user.phoneNumber ?? undefined,
            phone_number_verified: user.phoneNumber ? user.phoneVerifiedAt !== null : undefined,
            ...(access ? { roles: access.roles, permissions: access.permissions } : {}),
          };
        },
      };
    },
    interactions: { url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      // A client learns about its own tokens only: another app's user tokens are none of its business.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          sendPage(ctx, 200, views.logoutQuestion(form, ctx.oidc.client?.clientName));
        },
        async postLogoutSuccessSource(ctx) {
          sendPage(ctx, 200, views.signedOut(ctx.oidc.client?.clientName));
        },
      },
    },
    // S256 only; required of public clients (no secret), allowed for confidential ones.
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'EdDSA'],
      userinfoSigningAlgValues: ['RS256', 'EdDSA'],
      introspectionSigningAlgValues: ['RS256', 'EdDSA'],
      authorizationSigningAlgValues: ['RS256', 'EdDSA'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      // No HS256: the stored client secret is a hash, never a key.
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // Every token issued through a sign-in dies with its session (and so with the Gatehouse session).
    expiresWithSession: async () => true,
    rotateRefreshToken: true,
    // Every client allowed the refresh_token grant gets one, as Keycloak's regular refresh tokens: they end
    // with the sign-in anyway. offline_access is accepted and adds nothing; no token outlives the session.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: accessTokenTtlSeconds,
      ClientCredentials: accessTokenTtlSeconds,
      AuthorizationCode: authorizationCodeTtlSeconds,
      IdToken: idTokenTtlSeconds,
      Interaction: interactionTtlSeconds,
      Session: config.sessionTtlSeconds,
      Grant: config.refreshTokenTtlSeconds,
      RefreshToken: config.refreshTokenTtlSeconds,
      PushedAuthorizationRequest: 60,
    },
    // An app's JavaScript may call the token, userinfo and revocation endpoints from its registered origins only.
    clientBasedCORS(_ctx, origin, client) {
      return [...(client.redirectUris ?? []), ...(client.postLogoutRedirectUris ?? [])].some((uri) => {
        try {
          // A private-use scheme's origin is "null": it must not let `Origin: null` (sandboxes, file:) through.
          return /^https?:/.test(uri) && new URL(uri).origin === origin;
        } catch {
          return false;
        }
      });
    },
    async renderError(ctx, out, error) {
      if (!(error instanceof errors.OIDCProviderError)) logger.error({ err: error }, 'OpenID provider error');
      sendPage(
        ctx,
        ctx.status >= 400 ? ctx.status : 400,
        views.error({ error: out.error, description: out.error_description }),
      );
    },
  };

  const provider = new Provider(issuerOf(config.publicUrl), configuration);
  // The mount sets Host and X-Forwarded-Proto from PUBLIC_URL (routes.ts): read them.
  provider.proxy = true;

  // The stored secret is its SHA-256: compare the hash of what the client presents.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(
    this: { clientSecret?: string },
    actual: string,
  ) {
    return Promise.resolve(
      typeof this.clientSecret === 'string' && constantTimeEqual(this.clientSecret, hashClientSecret(actual)),
    );
  };

  // The sign-out question is a form; its answer redirects to the app, on another origin, which the page's CSP
  // (form-action 'self') rightly makes the browser refuse. The answer becomes a page that navigates on instead.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
    const location = ctx.response.get('location');
    ctx.remove('location');
    ctx.set('refresh', `0;url=${location}`);
    sendPage(ctx, 200, views.leaving(location, ctx.oidc.client?.clientName));
  });

  provider.on('server_error', (_ctx, error) => logger.error({ err: error }, 'OpenID provider server error'));
  return provider;
}
