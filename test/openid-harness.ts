import { createServer } from 'node:net';
import * as openid from 'openid-client';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ClientInput } from '../src/modules/oidc/clients.js';
import { type Browser, hiddenFieldsOf, openBrowser } from './form-browser.js';
import { buildTestApp, createVerifiedUser, strongPassword, type TestApp } from './helpers.js';

// Helpers for the OpenID provider's tests: a Gatehouse listening on loopback (openid-client is a
// real relying party and talks to it over HTTP), registered clients, and a browser that signs in.

/** A port nothing listens on now, for an instance that must know its PUBLIC_URL before it starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Gatehouse on http://127.0.0.1:<port>, its issuer PUBLIC_URL/oidc. The real clock: oidc-provider
 * reads the time itself, and the sign-in times it is given must agree with it.
 */
export async function startListening(env: Record<string, string> = {}) {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const test = await buildTestApp({ realClock: true, env: { PUBLIC_URL: publicUrl, ...env } });
  await test.app.listen({ port, host: '127.0.0.1' });
  return { test, publicUrl, issuer: `${publicUrl}/oidc` };
}

export const appRedirectUri = 'http://127.0.0.1:9/callback';
export const appLogoutUri = 'http://127.0.0.1:9/signed-out';

export async function registerClient(test: TestApp, input: Partial<ClientInput> = {}) {
  const { client, clientSecret } = await test.services.oidcClients.create(null, {
    name: 'Orders',
    type: 'confidential',
    redirectUris: [appRedirectUri],
    postLogoutRedirectUris: [appLogoutUri],
    firstParty: true,
    ...input,
  });
  return { clientId: client.clientId, clientSecret };
}

/** openid-client configured for `client` by discovery, as an app would be. */
export function relyingParty(issuer: string, client: { clientId: string; clientSecret?: string | undefined }) {
  return openid.discovery(
    new URL(issuer),
    client.clientId,
    client.clientSecret,
    client.clientSecret ? undefined : openid.None(),
    { execute: [openid.allowInsecureRequests] },
  );
}

/** A browser with a Gatehouse session for `email` (signed in on /login). */
export async function signedInBrowser(test: TestApp, email: string): Promise<Browser> {
  const browser = openBrowser(test.app);
  const response = await browser.submit('/login', '/login', { email, password: strongPassword });
  expect(response.statusCode).toBe(303);
  return browser;
}

/**
 * Submits the sign-in page the browser stopped at, as a person would: the form's own hidden fields
 * (the CSRF token, where to go next, the app), the email and the password.
 */
export function submitSignIn(browser: Browser, page: string, email: string, password = strongPassword) {
  return browser.post('/login', { ...hiddenFieldsOf(page, '/login'), email, password });
}

/** Where a response sends the browser: its Location, or the URL of a `Refresh: 0;url=` page. */
function nextHop(response: { statusCode: number; headers: Record<string, unknown> }): string | undefined {
  if (response.statusCode >= 300 && response.statusCode < 400) return String(response.headers.location);
  const refresh = response.headers.refresh;
  return typeof refresh === 'string' ? refresh.replace(/^0;url=/, '') : undefined;
}

/**
 * Follows the browser from `url` until it leaves Gatehouse (for the app's
 * redirect URI) or stops on one of our pages (sign-in, consent, an error).
 */
export async function follow(browser: Browser, publicUrl: string, url: string) {
  let current = url;
  for (let hop = 0; hop < 15; hop += 1) {
    const local = current.startsWith(publicUrl) ? current.slice(publicUrl.length) : current;
    if (!local.startsWith('/')) return { left: new URL(current), page: undefined };
    // As a browser on PUBLIC_URL would send it: the provider builds its absolute addresses from the Host.
    const response = await browser.get(local, { host: new URL(publicUrl).host });
    const next = nextHop(response);
    if (!next) return { left: undefined, page: response, at: local };
    current = new URL(next, `${publicUrl}${local}`).href;
  }
  throw new Error('too many redirects');
}

/** The authorization request of an app with PKCE, state and nonce, as openid-client builds it. */
export function authorizationRequest(config: openid.Configuration, params: Record<string, string> = {}) {
  const verifier = openid.randomPKCECodeVerifier();
  const state = openid.randomState();
  const nonce = openid.randomNonce();
  return {
    verifier,
    state,
    nonce,
    async url() {
      return openid.buildAuthorizationUrl(config, {
        redirect_uri: appRedirectUri,
        scope: 'openid profile email',
        code_challenge: await openid.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...params,
      });
    },
  };
}

/** Signs `browser` in at the app: the whole redirect dance, then the code for tokens. */
export async function signInAtApp(
  browser: Browser,
  publicUrl: string,
  config: openid.Configuration,
  params: Record<string, string> = {},
) {
  const request = authorizationRequest(config, params);
  const { left } = await follow(browser, publicUrl, (await request.url()).href);
  if (!left) throw new Error('the browser did not come back to the app');
  const tokens = await openid.authorizationCodeGrant(config, left, {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
    idTokenExpected: true,
  });
  return { tokens, callback: left };
}

/**
 * The listening Gatehouse of one test file: started before its tests, closed after them, with the
 * file's usual steps: an app registered and discovered, and a person signed in at it.
 */
export function gatehouseForThisFile(env: Record<string, string> = {}) {
  let started: Awaited<ReturnType<typeof startListening>> | undefined;
  beforeAll(async () => {
    started = await startListening(env);
  });
  afterAll(() => started?.test.close());
  const current = () => {
    if (!started) throw new Error('the Gatehouse of this file is not started yet');
    return started;
  };

  async function appFor(input: Partial<ClientInput> = {}) {
    const client = await registerClient(current().test, input);
    return { client, config: await relyingParty(current().issuer, client) };
  }

  return {
    get test() {
      return current().test;
    },
    get issuer() {
      return current().issuer;
    },
    get publicUrl() {
      return current().publicUrl;
    },
    appFor,
    /** A new person, signed in on Gatehouse's page, then at a new app (`input`) with `params`. */
    async personAtApp(input: Partial<ClientInput> = {}, params: Record<string, string> = {}) {
      const user = await createVerifiedUser(current().test);
      const { client, config } = await appFor(input);
      const browser = await signedInBrowser(current().test, user.email);
      const { tokens } = await signInAtApp(browser, current().publicUrl, config, params);
      return { user, client, config, browser, tokens };
    },
  };
}
