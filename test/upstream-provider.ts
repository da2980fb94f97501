import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import Provider from 'oidc-provider';

/** Who signs in at the test provider next, and what it says about them. */
export interface UpstreamPerson {
  sub: string;
  email?: string;
  email_verified?: boolean;
  given_name?: string;
  family_name?: string;
  /** Methods the provider says it used; `mfa` makes Gatehouse skip its own second step. */
  amr?: string[];
}

export const upstreamClientId = 'gatehouse-test';
export const upstreamClientSecret = 'upstream-client-secret-0123456789';

/**
 * A real OpenID provider (panva's oidc-provider) on loopback, standing in for
 * Google or a company's IdP: discovery, authorization with PKCE, token,
 * userinfo and JWKS, all real. Its login page is replaced by a hook that
 * signs in `person` at once, so tests drive the whole redirect without a form.
 */
export async function startUpstreamProvider(redirectUris: string[]) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid: 'upstream-1', alg: 'RS256', use: 'sig' };
  const people = new Map<string, UpstreamPerson>();
  const state: { person: UpstreamPerson } = { person: { sub: 'nobody' } };

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: upstreamClientId,
        client_secret: upstreamClientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [signingJwk] },
    // `amr` is released with the openid scope, as Google and Entra do.
    claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['given_name', 'family_name'] },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['upstream-cookie-key-0123456789'] },
    async findAccount(_ctx, id) {
      const person = people.get(id);
      if (!person) return undefined;
      return { accountId: id, claims: async () => ({ ...person, amr: undefined }) };
    },
  });

  async function interact(request: IncomingMessage, response: ServerResponse) {
    const details = await provider.interactionDetails(request, response);
    if (details.prompt.name === 'login') {
      const person = state.person;
      people.set(person.sub, person);
      await provider.interactionFinished(
        request,
        response,
        { login: { accountId: person.sub, ...(person.amr ? { amr: person.amr } : {}) } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const accountId = details.session?.accountId as string;
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id as string });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    await provider.interactionFinished(
      request,
      response,
      { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true },
    );
  }

  const handle = provider.callback();
  server.on('request', (request, response) => {
    if (request.url?.startsWith('/interaction/')) {
      interact(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
      return;
    }
    handle(request, response);
  });

  return {
    issuer,
    /** The person the next sign-in at the provider is. */
    signInAs(person: UpstreamPerson) {
      state.person = person;
    },
    /** An ID token as the provider's SDK would hand it to a mobile app; override any claim, or sign with another key. */
    async idToken(claims: JWTPayload, options: { key?: 'forged' } = {}) {
      const now = Math.floor(Date.now() / 1000);
      const key =
        options.key === 'forged' ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : privateKey;
      return new SignJWT({ iss: issuer, aud: upstreamClientId, iat: now, exp: now + 600, jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'upstream-1' })
        .sign(key);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type UpstreamProvider = Awaited<ReturnType<typeof startUpstreamProvider>>;

/** The upstream's cookies for one person's browser, kept across its redirects. */
function cookieJar() {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    store(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const index = pair.indexOf('=');
        cookies.set(pair.slice(0, index), pair.slice(index + 1));
      }
    },
  };
}

/**
 * Follows the provider's redirects from its authorization URL, as a browser
 * would, until it sends the browser back to `callbackPrefix`; returns that address.
 */
export async function followUpstream(authorizationUrl: string, callbackPrefix: string): Promise<URL> {
  const jar = cookieJar();
  let next = authorizationUrl;
  for (let hop = 0; hop < 10; hop += 1) {
    if (next.startsWith(callbackPrefix)) return new URL(next);
    const response = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(response);
    const location = response.headers.get('location');
    if (!location) throw new Error(`the provider stopped at ${next}: ${response.status} ${await response.text()}`);
    next = new URL(location, next).href;
  }
  throw new Error('too many redirects at the provider');
}
