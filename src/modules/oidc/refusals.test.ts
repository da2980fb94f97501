import * as openid from 'openid-client';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type Browser, openBrowser } from '../../../test/form-browser.js';
import { createAdmin, createVerifiedUser, del, get, post } from '../../../test/helpers.js';
import {
  appRedirectUri,
  authorizationRequest,
  follow,
  gatehouseForThisFile,
  registerClient,
  signedInBrowser,
  submitSignIn,
} from '../../../test/openid-harness.js';

// Every way an app, a browser or a stolen credential is turned away by the OpenID provider:
// each answer is the OAuth error the spec names, with its status; never a 500, never a trace.

const started = gatehouseForThisFile();
const { appFor, personAtApp } = started;

type ClientInput = Parameters<typeof registerClient>[1];
type Client = Awaited<ReturnType<typeof registerClient>>;

/** The browser back at the app with a code not yet redeemed, and what the app kept to redeem it. */
async function codeFor(browser: Browser, config: openid.Configuration, params: Record<string, string> = {}) {
  const request = authorizationRequest(config, params);
  const { left } = await follow(browser, started.publicUrl, (await request.url()).href);
  const code = left?.searchParams.get('code');
  if (!left || !code) throw new Error(`no code came back: ${left?.href}`);
  return { callback: left, code, verifier: request.verifier, state: request.state, nonce: request.nonce };
}

type Code = Awaited<ReturnType<typeof codeFor>>;

/** The app's token request for `code`, with the verifier it kept unless told otherwise. */
function redeem(config: openid.Configuration, code: Code, verifier: string | null = code.verifier) {
  return openid.authorizationCodeGrant(config, code.callback, {
    pkceCodeVerifier: verifier ?? undefined,
    expectedState: code.state,
    expectedNonce: code.nonce,
  });
}

/** An app configured from the same discovery but with other credentials (another client's, a wrong secret, none). */
function presenting(config: openid.Configuration, clientId: string, clientSecret: string | undefined) {
  const other = new openid.Configuration(
    config.serverMetadata(),
    clientId,
    clientSecret,
    clientSecret === undefined ? openid.None() : undefined,
  );
  openid.allowInsecureRequests(other);
  return other;
}

/** An OAuth error answer from the token, introspection or revocation endpoint, as openid-client reports it. */
async function expectOAuthError(attempt: Promise<unknown>, status: number, error: string) {
  await expect(attempt).rejects.toMatchObject({ status, error });
}

/** A bearer token refused by the userinfo endpoint: 401 with `WWW-Authenticate: Bearer error="…"`. */
async function expectTokenRefused(attempt: Promise<unknown>) {
  const refusal = (await attempt.then(
    () => ({ accepted: true }),
    (reason: unknown) => reason,
  )) as { status?: number; cause?: unknown };
  expect(refusal).toMatchObject({ status: 401 });
  expect(refusal.cause).toEqual([
    expect.objectContaining({ scheme: 'bearer', parameters: expect.objectContaining({ error: 'invalid_token' }) }),
  ]);
}

const storageLatencyMs = 25;

/**
 * Runs `work` with each read of the provider's storage taking a few milliseconds, as on a database
 * across a network: in-memory PGlite answers without yielding to the event loop, which lines
 * concurrent requests up one after the other and would hide a race between them.
 */
async function withStorageLatency<T>(work: () => Promise<T>): Promise<T> {
  const storage = started.test.services.repositories.oidc;
  const findModel = storage.findModel;
  const slow = vi.spyOn(storage, 'findModel').mockImplementation(async (...args) => {
    await new Promise((resolve) => setTimeout(resolve, storageLatencyMs));
    return findModel(...args);
  });
  try {
    return await work();
  } finally {
    slow.mockRestore();
  }
}

async function introspectionActive(config: openid.Configuration, token: string): Promise<boolean> {
  return (await openid.tokenIntrospection(config, token)).active === true;
}

const stackTrace = /\n\s+at |node_modules|\.(?:js|ts|mjs):\d+|\bError: [^<]/;

interface PageResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/**
 * One of the provider's error pages: 400, HTML in our layout with the sentence for the OAuth
 * error and its code, and nothing that sends the browser on (no Location, no Refresh, no link or
 * form off our origin: least of all to the address that was refused).
 */
function expectErrorPage(response: PageResponse | undefined, error: string, sentence: string) {
  if (!response) throw new Error('no page: the browser left Gatehouse');
  expect(response.statusCode).toBe(400);
  expect(String(response.headers['content-type'])).toMatch(/^text\/html/);
  expect(response.headers.location).toBeUndefined();
  expect(response.headers.refresh).toBeUndefined();
  expect(response.body).toContain('<link rel="stylesheet" href="/assets/style.css">');
  expect(response.body).toContain('<h1>That did not work</h1>');
  expect(response.body).toContain(sentence);
  expect(response.body).toContain(`<code>${error}</code>`);
  expect(response.body).not.toMatch(stackTrace);
  for (const [, target] of response.body.matchAll(/(?:href|action|src)="([^"]*)"/g)) {
    expect(target).toMatch(/^[/#]/);
  }
}

const basicAuth = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A raw POST to the token endpoint, as a careless or hostile client could send it. */
async function tokenEndpoint(body: string, headers: Record<string, string>) {
  const response = await fetch(`${started.issuer}/token`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
}

/** A JSON OAuth error body with a 4xx status, and nothing of the server's insides. */
function expectOAuthErrorBody(response: Awaited<ReturnType<typeof tokenEndpoint>>, status: number, error: string) {
  expect({ status: response.status, contentType: response.contentType }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/json/),
  });
  const body = JSON.parse(response.text) as Record<string, unknown>;
  expect(body.error).toBe(error);
  expect(Object.keys(body).sort()).toEqual(
    Object.keys(body).includes('error_description') ? ['error', 'error_description'] : ['error'],
  );
  expect(response.text).not.toMatch(stackTrace);
}

describe('the address an app asks to return to', () => {
  const unregistered = [
    ['not registered at all', 'http://127.0.0.1:9/elsewhere'],
    ['the registered one with one more path segment', `${appRedirectUri}/more`],
    ['the registered one with one more character', `${appRedirectUri}x`],
    ['the registered one with a trailing slash', `${appRedirectUri}/`],
    ['the registered one with an empty query', `${appRedirectUri}?`],
    ['the registered one with a query', `${appRedirectUri}?next=/admin`],
    ['the registered one on another port', 'http://127.0.0.1:10/callback'],
    ['the registered one with its port written 09', 'http://127.0.0.1:09/callback'],
    ['the registered one on localhost instead of 127.0.0.1', 'http://localhost:9/callback'],
    ['the registered one over https', 'https://127.0.0.1:9/callback'],
    ['the registered one with another case in its path', 'http://127.0.0.1:9/Callback'],
    ['the registered one reached through dot segments', 'http://127.0.0.1:9/x/../callback'],
    ['the registered one with a fragment', `${appRedirectUri}#x`],
    ['another host behind the registered one as credentials', 'http://127.0.0.1:9@attacker.example/callback'],
  ] as const;

  it.each(unregistered)('is refused on our error page, never redirected to, when it is %s', async (_case, address) => {
    const user = await createVerifiedUser(started.test);
    const { config } = await appFor();
    const browser = await signedInBrowser(started.test, user.email);
    const request = authorizationRequest(config, { redirect_uri: address });
    const stop = await follow(browser, started.publicUrl, (await request.url()).href);
    expect(stop.left).toBeUndefined();
    expect(stop.at).toMatch(/^\/oidc\/auth\?/);
    expectErrorPage(stop.page, 'invalid_redirect_uri', 'The app asked to return to an address it has not registered.');
  });

  it('is refused before any sign-in page for a browser with no Gatehouse session', async () => {
    const { config } = await appFor();
    const request = authorizationRequest(config, { redirect_uri: 'http://127.0.0.1:9/elsewhere' });
    const stop = await follow(openBrowser(started.test.app), started.publicUrl, (await request.url()).href);
    expect(stop.at).toMatch(/^\/oidc\/auth\?/);
    expectErrorPage(stop.page, 'invalid_redirect_uri', 'The app asked to return to an address it has not registered.');
  });

  it('must be, at the token endpoint, the one the code was issued for (invalid_grant)', async () => {
    const second = 'http://127.0.0.1:9/second-callback';
    const user = await createVerifiedUser(started.test);
    const { client, config } = await appFor({ redirectUris: [appRedirectUri, second] });
    const browser = await signedInBrowser(started.test, user.email);
    const code = await codeFor(browser, config);
    const response = await tokenEndpoint(
      new URLSearchParams({
        grant_type: 'authorization_code',
        code: code.code,
        code_verifier: code.verifier,
        redirect_uri: second,
      }).toString(),
      {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(client.clientId, client.clientSecret as string),
      },
    );
    expectOAuthErrorBody(response, 400, 'invalid_grant');
  });
});

describe('PKCE', () => {
  it('is required of a public client: a request without a code_challenge comes back to it as invalid_request', async () => {
    const user = await createVerifiedUser(started.test);
    const { client, config } = await appFor({ type: 'public' });
    expect(client.clientSecret).toBeUndefined();
    const browser = await signedInBrowser(started.test, user.email);
    const url = openid.buildAuthorizationUrl(config, {
      redirect_uri: appRedirectUri,
      scope: 'openid',
      state: openid.randomState(),
      nonce: openid.randomNonce(),
    });
    const stop = await follow(browser, started.publicUrl, url.href);
    expect(stop.left?.origin).toBe('http://127.0.0.1:9');
    expect(stop.left?.searchParams.get('error')).toBe('invalid_request');
    expect(stop.left?.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(stop.left?.searchParams.has('code')).toBe(false);
  });

  it('is S256 only: a public client offering the plain method is refused', async () => {
    const user = await createVerifiedUser(started.test);
    const { config } = await appFor({ type: 'public' });
    const browser = await signedInBrowser(started.test, user.email);
    const verifier = openid.randomPKCECodeVerifier();
    const url = openid.buildAuthorizationUrl(config, {
      redirect_uri: appRedirectUri,
      scope: 'openid',
      state: openid.randomState(),
      code_challenge: verifier,
      code_challenge_method: 'plain',
    });
    const stop = await follow(browser, started.publicUrl, url.href);
    expect(stop.left?.searchParams.get('error')).toBe('invalid_request');
    expect(stop.left?.searchParams.has('code')).toBe(false);
  });

  it('may be left out by a confidential client, which authenticates with its secret', async () => {
    const user = await createVerifiedUser(started.test);
    const { config } = await appFor();
    const browser = await signedInBrowser(started.test, user.email);
    const state = openid.randomState();
    const nonce = openid.randomNonce();
    const url = openid.buildAuthorizationUrl(config, { redirect_uri: appRedirectUri, scope: 'openid', state, nonce });
    const { left } = await follow(browser, started.publicUrl, url.href);
    if (!left) throw new Error('the browser did not come back to the app');
    const tokens = await openid.authorizationCodeGrant(config, left, { expectedState: state, expectedNonce: nonce });
    expect(tokens.claims()?.sub).toBe(String(user.userId));
  });

  it('binds the code to its challenge: no code_verifier, or a wrong one, is invalid_grant', async () => {
    const user = await createVerifiedUser(started.test);
    for (const input of [{}, { type: 'public' }] as ClientInput[]) {
      const { config } = await appFor(input);
      const browser = await signedInBrowser(started.test, user.email);
      const code = await codeFor(browser, config);
      await expectOAuthError(redeem(config, code, null), 400, 'invalid_grant');
      await expectOAuthError(redeem(config, code, openid.randomPKCECodeVerifier()), 400, 'invalid_grant');
      // The code itself was good: what was refused was the verifier.
      const tokens = await redeem(config, code);
      expect(tokens.claims()?.sub).toBe(String(user.userId));
    }
  });
});

describe('authorization codes', () => {
  it('work once: a replay is invalid_grant and revokes the tokens of the first redemption', async () => {
    const user = await createVerifiedUser(started.test);
    const { config } = await appFor();
    const browser = await signedInBrowser(started.test, user.email);
    const code = await codeFor(browser, config);
    const first = await redeem(config, code);
    expect(await introspectionActive(config, first.access_token)).toBe(true);

    await expectOAuthError(redeem(config, code), 400, 'invalid_grant');

    expect(await introspectionActive(config, first.access_token)).toBe(false);
    await expectTokenRefused(openid.fetchUserInfo(config, first.access_token, String(user.userId)));
    await expectOAuthError(openid.refreshTokenGrant(config, first.refresh_token as string), 400, 'invalid_grant');
  });

  it("are the client's own: client B redeeming client A's code with B's credentials is invalid_grant", async () => {
    const user = await createVerifiedUser(started.test);
    const a = await appFor({ name: 'Orders' });
    const b = await appFor({ name: 'Billing' });
    const browser = await signedInBrowser(started.test, user.email);
    const code = await codeFor(browser, a.config);
    await expectOAuthError(redeem(b.config, code), 400, 'invalid_grant');
    // A's code was not spent by B's attempt.
    expect((await redeem(a.config, code)).claims()?.sub).toBe(String(user.userId));
  });

  it('live 60 seconds: one redeemed later is invalid_grant', async () => {
    const user = await createVerifiedUser(started.test);
    const { config } = await appFor();
    const browser = await signedInBrowser(started.test, user.email);
    const early = await codeFor(browser, config);
    const late = await codeFor(browser, config);
    const issuedAt = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(issuedAt + 50_000);
      expect((await redeem(config, early)).claims()?.sub).toBe(String(user.userId));
      vi.setSystemTime(issuedAt + 61_000);
      await expectOAuthError(redeem(config, late), 400, 'invalid_grant');
    } finally {
      vi.useRealTimers();
    }
  });
});

// Two requests that both read a code or refresh token unused: the adapter's consume() lets only the one
// that marks it go on. PGlite answers within the same tick, so storage latency is added here to let the
// requests overlap (on PostgreSQL they do with no help).
describe('two redemptions at the same moment', () => {
  it('an authorization code: one gets tokens, the other invalid_grant', async () => {
    const user = await createVerifiedUser(started.test);
    const { config } = await appFor();
    const browser = await signedInBrowser(started.test, user.email);
    const code = await codeFor(browser, config);
    const outcomes = await withStorageLatency(() => Promise.allSettled([redeem(config, code), redeem(config, code)]));
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({
      reason: { status: 400, error: 'invalid_grant' },
    });
  });

  it('a refresh token: one gets the next refresh token, the other invalid_grant', async () => {
    const { config, tokens } = await personAtApp();
    const refreshToken = tokens.refresh_token as string;
    const outcomes = await withStorageLatency(() =>
      Promise.allSettled([
        openid.refreshTokenGrant(config, refreshToken),
        openid.refreshTokenGrant(config, refreshToken),
      ]),
    );
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({
      reason: { status: 400, error: 'invalid_grant' },
    });
  });
});

describe('clients', () => {
  it('an unknown client_id at the authorization endpoint gets our error page, not a redirect', async () => {
    const user = await createVerifiedUser(started.test);
    const { config } = await appFor();
    const browser = await signedInBrowser(started.test, user.email);
    const url = new URL(config.serverMetadata().authorization_endpoint as string);
    url.search = new URLSearchParams({
      client_id: 'no-such-client',
      redirect_uri: appRedirectUri,
      response_type: 'code',
      scope: 'openid',
      state: openid.randomState(),
      code_challenge: await openid.calculatePKCECodeChallenge(openid.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const stop = await follow(browser, started.publicUrl, url.href);
    expect(stop.left).toBeUndefined();
    expect(stop.at).toMatch(/^\/oidc\/auth\?/);
    expectErrorPage(stop.page, 'invalid_client', 'The app is not registered here.');
  });

  it('an unknown client at the token endpoint is 401 invalid_client', async () => {
    const user = await createVerifiedUser(started.test);
    const { config } = await appFor();
    const browser = await signedInBrowser(started.test, user.email);
    const code = await codeFor(browser, config);
    const unknown = presenting(config, 'no-such-client', 'a-secret-that-was-never-issued');
    await expectOAuthError(redeem(unknown, code), 401, 'invalid_client');
  });

  it('a wrong client secret, or none from a confidential client, is 401 invalid_client', async () => {
    const user = await createVerifiedUser(started.test);
    const { client, config } = await appFor();
    const browser = await signedInBrowser(started.test, user.email);
    const code = await codeFor(browser, config);
    const secret = client.clientSecret as string;
    const wrong = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    await expectOAuthError(redeem(presenting(config, client.clientId, wrong), code), 401, 'invalid_client');
    await expectOAuthError(redeem(presenting(config, client.clientId, ''), code), 401, 'invalid_client');
    await expectOAuthError(redeem(presenting(config, client.clientId, undefined), code), 401, 'invalid_client');
    // The code was not spent by the attempts: the right secret still gets its tokens.
    expect((await redeem(config, code)).claims()?.sub).toBe(String(user.userId));
  });
});

describe('the account and the session behind the tokens', () => {
  it('a locked account: the refresh token is invalid_grant, and the browser is sent to sign in, with no code', async () => {
    const { user, config, browser, tokens } = await personAtApp();
    const admin = await createAdmin(started.test);
    const locked = await post(
      started.test.app,
      `/admin/users/${user.userId}/lock`,
      { reason: 'Test' },
      admin.accessToken,
    );
    expect(locked.statusCode).toBe(200);

    await expectOAuthError(openid.refreshTokenGrant(config, tokens.refresh_token as string), 400, 'invalid_grant');
    expect(await introspectionActive(config, tokens.access_token)).toBe(false);

    const request = authorizationRequest(config);
    const stop = await follow(browser, started.publicUrl, (await request.url()).href);
    expect(stop.left).toBeUndefined();
    expect(stop.at).toMatch(/^\/login\?return_to=%2Foidc%2Finteraction%2F/);
    const retry = await submitSignIn(browser, stop.page?.body ?? '', user.email);
    // Nor does the password open it again: the sign-in page says the account is locked, and stays.
    expect(retry.statusCode).toBe(423);
    expect(retry.headers.location).toBeUndefined();
    expect(retry.headers.refresh).toBeUndefined();
  });

  it('an account locked in the store, its sessions left running: a pending code, the refresh token and the access token are refused', async () => {
    const { user, config, browser, tokens } = await personAtApp();
    const pending = await codeFor(browser, config);
    const now = new Date();
    await started.test.services.repositories.users.updateLock(
      user.userId,
      { lockedAt: now, lockedUntil: null, lockReason: 'Test' },
      now,
    );
    await expectOAuthError(redeem(config, pending), 400, 'invalid_grant');
    await expectOAuthError(openid.refreshTokenGrant(config, tokens.refresh_token as string), 400, 'invalid_grant');
    await expectTokenRefused(openid.fetchUserInfo(config, tokens.access_token, String(user.userId)));
    expect(await introspectionActive(config, tokens.access_token)).toBe(false);
  });

  it('a revoked Gatehouse session: refresh is invalid_grant, introspection inactive, userinfo 401 invalid_token', async () => {
    const { user, config, browser, tokens } = await personAtApp();
    expect(await introspectionActive(config, tokens.access_token)).toBe(true);
    const listed = await get(started.test.app, '/auth/sessions', user.accessToken);
    expect(listed.statusCode).toBe(200);
    const sessions = listed.json().sessions as Array<{ id: string; deviceId: string | null }>;
    const browserSession = sessions.find((session) => session.deviceId === browser.cookie('gatehouse_device'));
    if (!browserSession) throw new Error(`no session of the browser in ${JSON.stringify(sessions)}`);
    expect(browserSession.id).not.toBe(user.sessionId);

    const revoked = await del(started.test.app, `/auth/sessions/${browserSession.id}`, user.accessToken);
    expect(revoked.statusCode).toBe(200);

    await expectOAuthError(openid.refreshTokenGrant(config, tokens.refresh_token as string), 400, 'invalid_grant');
    expect(await introspectionActive(config, tokens.access_token)).toBe(false);
    await expectTokenRefused(openid.fetchUserInfo(config, tokens.access_token, String(user.userId)));
    // The API session that revoked it lives on.
    expect((await get(started.test.app, '/auth/sessions', user.accessToken)).statusCode).toBe(200);
  });

  it('a blacklisted device: the refresh token of the app signed in on that browser is invalid_grant', async () => {
    const { user, config, browser, tokens } = await personAtApp();
    const deviceId = browser.cookie('gatehouse_device');
    expect(deviceId).toMatch(/^[0-9a-f-]{36}$/);
    const admin = await createAdmin(started.test);
    const blocked = await post(started.test.app, '/admin/devices/blacklist', { deviceId }, admin.accessToken);
    expect(blocked.statusCode).toBe(201);
    expect(blocked.json().endedSessions).toBe(1);

    await expectOAuthError(openid.refreshTokenGrant(config, tokens.refresh_token as string), 400, 'invalid_grant');
    expect(await introspectionActive(config, tokens.access_token)).toBe(false);
    await expectTokenRefused(openid.fetchUserInfo(config, tokens.access_token, String(user.userId)));
  });
});

describe('bodies the token endpoint cannot use', () => {
  let client: Client;
  let authorization: string;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  beforeAll(async () => {
    client = await registerClient(started.test);
    authorization = basicAuth(client.clientId, client.clientSecret as string);
  });

  it('JSON instead of a form is 400 invalid_request', async () => {
    const response = await tokenEndpoint(JSON.stringify({ grant_type: 'authorization_code', code: 'x' }), {
      'content-type': 'application/json',
      authorization,
    });
    expectOAuthErrorBody(response, 400, 'invalid_request');
  });

  it('an unknown or missing grant_type is 400 unsupported_grant_type or invalid_request', async () => {
    const headers = { ...form, authorization };
    expectOAuthErrorBody(await tokenEndpoint('grant_type=%00%FF%FE', headers), 400, 'unsupported_grant_type');
    expectOAuthErrorBody(
      await tokenEndpoint('grant_type=password&username=a&password=b', headers),
      400,
      'unsupported_grant_type',
    );
    expectOAuthErrorBody(await tokenEndpoint('code=abc', headers), 400, 'invalid_request');
    expectOAuthErrorBody(
      await tokenEndpoint('grant_type=authorization_code&grant_type=refresh_token', headers),
      400,
      'invalid_request',
    );
  });

  it('a 40 KB body is an OAuth error, and so is one over the size the provider reads', async () => {
    const headers = { ...form, authorization };
    const big = `grant_type=authorization_code&redirect_uri=${encodeURIComponent(appRedirectUri)}&code=${'a'.repeat(40 * 1024)}`;
    expectOAuthErrorBody(await tokenEndpoint(big, headers), 400, 'invalid_grant');
    const padded = `grant_type=refresh_token&refresh_token=x&padding=${'a'.repeat(40 * 1024)}`;
    expectOAuthErrorBody(await tokenEndpoint(padded, headers), 400, 'invalid_grant');
    const huge = `grant_type=refresh_token&refresh_token=${'a'.repeat(100 * 1024)}`;
    expectOAuthErrorBody(await tokenEndpoint(huge, headers), 400, 'invalid_request');
  });

  it('a form naming a charset nobody knows, or a broken Authorization header, is a 400 OAuth error', async () => {
    // The charset is not used to decode (the form is read as sent): the unknown refresh token is what is refused.
    expectOAuthErrorBody(
      await tokenEndpoint('grant_type=refresh_token&refresh_token=x', {
        'content-type': 'application/x-www-form-urlencoded; charset=no-such-charset',
        authorization,
      }),
      400,
      'invalid_grant',
    );
    for (const broken of ['Basic !!!', 'Basic ', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Basic %ZZ']) {
      const response = await tokenEndpoint('grant_type=refresh_token&refresh_token=x', {
        ...form,
        authorization: broken,
      });
      expectOAuthErrorBody(response, 400, 'invalid_request');
    }
  });
});
