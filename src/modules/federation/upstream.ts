import { createHash } from 'node:crypto';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import * as openid from 'openid-client';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import { createAppleClientSecret } from './apple.js';
import { fetchGitHubIdentity } from './github.js';
import { callbackUrl, type Provider } from './providers.js';

/** What a provider says about the person who signed in there. */
export interface Assertion {
  subject: string;
  email: string | null;
  /** Only true when the provider says so explicitly: an address it did not check proves nothing. */
  emailVerified: boolean;
  givenName: string | null;
  familyName: string | null;
  /** The provider asserts it checked a second factor itself (`amr` contains `mfa`). */
  mfa: boolean;
  /** When the ID token expires (native flow): until then a replay is refused. */
  expiresAt: Date;
}

/** The secrets of one redirect, kept by us between the redirect and the callback. */
export interface FlowSecrets {
  state: string;
  nonce: string;
  codeVerifier: string;
}

const requestTimeoutSeconds = 10;

function unavailable(provider: Provider, cause: unknown): AppError {
  return new AppError('PROVIDER_UNAVAILABLE', {
    message: `The sign-in provider "${provider.name}" (${provider.id}) could not be reached at ${provider.issuer}`,
    cause,
  });
}

/** A failed fetch (refused, timed out) is the provider's absence; anything else is its refusal. */
const isNetworkFailure = (error: unknown) =>
  (error instanceof TypeError && error.message === 'fetch failed') ||
  (error instanceof Error && ['AbortError', 'TimeoutError'].includes(error.name));

function claimsToAssertion(claims: Record<string, unknown>): Assertion {
  const email = typeof claims.email === 'string' && claims.email.includes('@') ? claims.email : null;
  // Apple sends "true" as a string; Microsoft marks a domain-verified address with xms_edov.
  const verified = claims.email_verified === true || claims.email_verified === 'true' || claims.xms_edov === true;
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim().slice(0, 100) : null);
  return {
    subject: String(claims.sub),
    email,
    emailVerified: email !== null && verified,
    givenName: text(claims.given_name),
    familyName: text(claims.family_name),
    mfa: amr.includes('mfa'),
    expiresAt: new Date((typeof claims.exp === 'number' ? claims.exp : 0) * 1000),
  };
}

/**
 * Apple puts no name in its ID token: it posts `user` (JSON) beside the code,
 * on the first consent only. Names only, and only where the token has none.
 */
function appleNames(user: string | null): Record<string, string> {
  try {
    const name = (JSON.parse(user ?? '{}') as { name?: { firstName?: unknown; lastName?: unknown } }).name;
    return {
      ...(typeof name?.firstName === 'string' ? { given_name: name.firstName } : {}),
      ...(typeof name?.lastName === 'string' ? { family_name: name.lastName } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * The conversation with providers: discovery (lazily, cached per provider
 * version; a failure is retried on the next use), the authorization URL with
 * state, nonce and PKCE S256, the code exchange with every check
 * openid-client makes, and ID tokens handed over by mobile apps.
 */
export function createUpstream({ publicUrl, clock }: { publicUrl: string; clock: Clock }) {
  const connections = new Map<string, Promise<openid.Configuration>>();
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  async function discover(provider: Provider): Promise<openid.Configuration> {
    const insecure = provider.issuer.startsWith('http:');
    const options = {
      timeout: requestTimeoutSeconds,
      ...(insecure ? { execute: [openid.allowInsecureRequests] } : {}),
    };
    const redirect = { redirect_uris: [callbackUrl(publicUrl, provider.id)] };
    if (provider.type === 'github') {
      const configuration = new openid.Configuration(
        {
          issuer: provider.issuer,
          authorization_endpoint: `${provider.issuer}/login/oauth/authorize`,
          token_endpoint: `${provider.issuer}/login/oauth/access_token`,
        },
        provider.clientId,
        redirect,
        openid.ClientSecretPost(provider.clientSecret),
      );
      if (insecure) openid.allowInsecureRequests(configuration);
      configuration.timeout = requestTimeoutSeconds;
      return configuration;
    }
    let authentication: openid.ClientAuth = openid.ClientSecretPost(provider.clientSecret);
    if (provider.apple) {
      const secret = createAppleClientSecret(provider.apple, provider.clientId);
      authentication = (_server, _client, body) => {
        body.set('client_id', provider.clientId);
        body.set('client_secret', secret(clock.now()));
      };
    }
    return openid.discovery(new URL(provider.issuer), provider.clientId, redirect, authentication, options);
  }

  function connect(provider: Provider): Promise<openid.Configuration> {
    const key = `${provider.id}\n${provider.version}`;
    let connection = connections.get(key);
    if (!connection) {
      connection = discover(provider).catch((error: unknown) => {
        connections.delete(key);
        throw unavailable(provider, error);
      });
      connections.set(key, connection);
    }
    return connection;
  }

  return {
    connect,

    async authorizationUrl(provider: Provider, secrets: FlowSecrets): Promise<string> {
      const configuration = await connect(provider);
      const oidc = provider.type === 'oidc';
      const parameters: Record<string, string> = {
        redirect_uri: callbackUrl(publicUrl, provider.id),
        scope: provider.scopes.join(' '),
        state: secrets.state,
        code_challenge: await openid.calculatePKCECodeChallenge(secrets.codeVerifier),
        code_challenge_method: 'S256',
        ...(oidc ? { nonce: secrets.nonce } : {}),
        // Apple sends the name and address only to a form post.
        ...(provider.apple ? { response_mode: 'form_post' } : {}),
      };
      return openid.buildAuthorizationUrl(configuration, parameters).href;
    },

    /** The callback's parameters to an assertion, or a refusal; every check of state, nonce, PKCE and the ID token happens here. */
    async finish(provider: Provider, parameters: URLSearchParams, secrets: FlowSecrets): Promise<Assertion> {
      const configuration = await connect(provider);
      const oidc = provider.type === 'oidc';
      const url = new URL(callbackUrl(publicUrl, provider.id));
      url.search = parameters.toString();
      try {
        const tokens = await openid.authorizationCodeGrant(configuration, url, {
          pkceCodeVerifier: secrets.codeVerifier,
          expectedState: secrets.state,
          ...(oidc ? { expectedNonce: secrets.nonce } : {}),
          idTokenExpected: oidc,
        });
        if (!oidc) {
          return await fetchGitHubIdentity(
            provider.apiUrl ?? provider.issuer,
            tokens.access_token,
            requestTimeoutSeconds,
          );
        }
        const claims: Record<string, unknown> = { ...tokens.claims() };
        // Some providers put the address in userinfo only (OpenID Connect allows either).
        if (claims.email === undefined && configuration.serverMetadata().userinfo_endpoint) {
          const userinfo = await openid.fetchUserInfo(configuration, tokens.access_token, String(claims.sub));
          for (const name of ['email', 'email_verified', 'given_name', 'family_name'] as const) {
            claims[name] ??= userinfo[name];
          }
        }
        return claimsToAssertion(provider.apple ? { ...appleNames(parameters.get('user')), ...claims } : claims);
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (isNetworkFailure(error)) throw unavailable(provider, error);
        throw new AppError('OAUTH_CALLBACK_FAILED', { cause: error });
      }
    },

    /**
     * An ID token a mobile app got from the provider's SDK: signature against
     * the provider's JWKS, issuer, audience (our client id), expiry, and the
     * nonce when the app used one (raw, or its SHA-256 as Apple's SDK sends).
     */
    async verifyIdToken(provider: Provider, idToken: string, nonce: string | undefined): Promise<Assertion> {
      if (provider.type !== 'oidc') throw new AppError('PROVIDER_NOT_OIDC');
      const metadata = (await connect(provider)).serverMetadata();
      if (!metadata.jwks_uri) throw unavailable(provider, new Error('no jwks_uri in the discovery document'));
      let keys = keySets.get(metadata.jwks_uri);
      if (!keys) {
        keys = createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: requestTimeoutSeconds * 1000 });
        keySets.set(metadata.jwks_uri, keys);
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(idToken, keys, {
          audience: provider.clientId,
          requiredClaims: ['sub', 'exp', 'iat', 'iss'],
          currentDate: clock.now(),
          clockTolerance: 5,
        }));
      } catch (error) {
        if (isNetworkFailure(error)) throw unavailable(provider, error);
        throw new AppError('ID_TOKEN_INVALID', { cause: error });
      }
      // A token for several audiences must name us as the party it was issued to (OpenID Connect 3.1.3.7).
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== provider.clientId) {
        throw new AppError('ID_TOKEN_INVALID', { cause: new Error('azp is not our client id') });
      }
      // Entra's multi-tenant issuers are a template the token's tenant fills in.
      const issuer = metadata.issuer.replace('{tenantid}', String(payload.tid ?? ''));
      if (payload.iss !== issuer) throw new AppError('ID_TOKEN_INVALID', { cause: new Error('issuer mismatch') });
      if (payload.nonce !== undefined || nonce !== undefined) {
        const hashed = nonce === undefined ? undefined : createHash('sha256').update(nonce).digest('hex');
        if (nonce === undefined || (payload.nonce !== nonce && payload.nonce !== hashed)) {
          throw new AppError('ID_TOKEN_INVALID', { cause: new Error('nonce mismatch') });
        }
      }
      return claimsToAssertion(payload);
    },
  };
}

export type Upstream = ReturnType<typeof createUpstream>;
