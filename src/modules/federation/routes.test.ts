import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, openBrowser } from '../../../test/form-browser.js';
import {
  buildTestApp,
  createAdmin,
  createVerifiedUser,
  del,
  expectError,
  get,
  post,
  strongPassword,
  superAdminDeps,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';
import {
  followUpstream,
  startUpstreamProvider,
  type UpstreamPerson,
  type UpstreamProvider,
  upstreamClientId,
  upstreamClientSecret,
} from '../../../test/upstream-provider.js';
import { users } from '../../db/schema.js';
import { createSuperAdmin } from '../user-admin/super-admin.js';

// Never listened on: the app is driven with inject, the provider over loopback HTTP.
const publicUrl = 'http://localhost:3999';
const callbackPrefix = `${publicUrl}/auth/oauth/test/callback`;
const appOrigin = 'http://app.example.test';

let upstream: UpstreamProvider;
let test: TestApp;

beforeAll(async () => {
  upstream = await startUpstreamProvider([callbackPrefix, `${publicUrl}/auth/oauth/acme/callback`]);
  test = await buildTestApp({
    env: {
      PUBLIC_URL: publicUrl,
      ALLOWED_RETURN_ORIGINS: appOrigin,
      OIDC_TEST_ISSUER: upstream.issuer,
      OIDC_TEST_CLIENT_ID: upstreamClientId,
      OIDC_TEST_CLIENT_SECRET: upstreamClientSecret,
      OIDC_TEST_DISPLAY_NAME: 'Test IdP',
    },
  });
});

afterAll(async () => {
  await test.close();
  await upstream.close();
});

let subjects = 0;
function person(overrides: Partial<UpstreamPerson> = {}): UpstreamPerson {
  subjects += 1;
  return {
    sub: `subject-${subjects}`,
    email: uniqueEmail('fed'),
    email_verified: true,
    given_name: 'Ada',
    ...overrides,
  };
}

/** A browser's first step: our redirect to the provider (its cookies stay in `browser`). */
async function begin(query = '', browser = openBrowser(test.app), provider = 'test') {
  const response = await browser.get(`/auth/oauth/${provider}${query}`);
  expect(response.statusCode).toBe(303);
  return { authorizationUrl: response.headers.location as string, browser };
}

/** The provider sends the browser back to us. */
const callback = (url: URL, browser: Browser) => browser.get(`${url.pathname}${url.search}`);

/** The whole redirect flow for `who`: our redirect, the provider's sign-in, the callback. */
async function signInThroughProvider(
  who: UpstreamPerson,
  query = '',
  tamper?: (url: URL) => void,
  browser = openBrowser(test.app),
) {
  upstream.signInAs(who);
  const { authorizationUrl } = await begin(query, browser);
  const url = new URL(authorizationUrl);
  tamper?.(url);
  const back = await followUpstream(url.href, callbackPrefix);
  return { response: await callback(back, browser), browser, back };
}

async function userByEmail(email: string) {
  return test.services.repositories.users.findUserByEmail(email);
}

describe('GET /auth/providers', () => {
  it('lists the configured providers for the sign-in page and apps', async () => {
    const response = await get(test.app, '/auth/providers');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ providers: [{ id: 'test', name: 'Test IdP', type: 'oidc' }] });
  });

  it('shows a button per provider on the sign-in page', async () => {
    const page = await test.app.inject({ method: 'GET', url: '/login?return_to=/account/passkeys' });
    expect(page.body).toContain('href="/auth/oauth/test?return_to=%2Faccount%2Fpasskeys"');
    expect(page.body).toContain('Continue with Test IdP');
  });
});

describe('the redirect flow', () => {
  it('sends the browser to the provider with state, nonce and PKCE S256', async () => {
    const { authorizationUrl, browser } = await begin();
    const url = new URL(authorizationUrl);
    expect(url.origin).toBe(upstream.issuer);
    expect(url.searchParams.get('redirect_uri')).toBe(callbackPrefix);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{40,}$/);
    expect(browser.cookie('gatehouse_oauth')).toBe(url.searchParams.get('state'));
  });

  it('creates a verified account with no password for a new identity with a verified email, and signs the browser in', async () => {
    const who = person({ family_name: 'Lovelace' });
    const { response, browser } = await signInThroughProvider(who);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/account');
    expect(browser.cookie('gatehouse')).toBeTruthy();

    const user = await userByEmail(who.email as string);
    expect(user).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', passwordHash: null });
    expect(user?.emailVerifiedAt).toBeInstanceOf(Date);
    const account = await browser.get('/account');
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain(who.email);
    // No password: a password sign-in fails like any wrong password.
    expectError(
      await post(test.app, '/auth/login', { email: who.email, password: strongPassword }),
      401,
      'INVALID_CREDENTIALS',
    );
    const history = await test.services.repositories.activity.listLoginEvents(user?.id as number, 10, 0);
    expect(history.rows.find((row) => row.success)).toMatchObject({ method: 'oauth:test' });
  });

  it('signs the same identity in to the same account next time, wherever return_to points on our site', async () => {
    const who = person();
    await signInThroughProvider(who);
    const { response } = await signInThroughProvider(who, '?return_to=%2Faccount%2Fsessions');
    expect(response.headers.location).toBe('/account/sessions');
    const rows = await test.services.repositories.federation.listIdentities(
      (await userByEmail(who.email as string))?.id as number,
    );
    expect(rows).toHaveLength(1);
  });

  it('links to the account that has the verified email, and tells its owner', async () => {
    const owner = await createVerifiedUser(test);
    const { response } = await signInThroughProvider(person({ email: owner.email }));
    expect(response.statusCode).toBe(303);
    const identities = await get(test.app, '/auth/identities', owner.accessToken);
    expect(identities.json().identities).toMatchObject([
      { provider: 'test', providerName: 'Test IdP', email: owner.email },
    ]);
    const mail = await test.lastMailTo(owner.email);
    expect(mail?.subject).toBe('Test IdP sign-in was linked to your account');
    // The password still works: linking added a way in, it took none away.
    expect((await post(test.app, '/auth/login', { email: owner.email, password: strongPassword })).statusCode).toBe(
      200,
    );
  });

  it('never links through an email the provider did not verify, nor creates an account with it', async () => {
    const owner = await createVerifiedUser(test);
    const { response, browser } = await signInThroughProvider(person({ email: owner.email, email_verified: false }));
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('did not confirm your email address');
    expect(browser.cookie('gatehouse')).toBeUndefined();
    expect((await get(test.app, '/auth/identities', owner.accessToken)).json().identities).toEqual([]);

    const stranger = person({ email_verified: false });
    expect((await signInThroughProvider(stranger)).response.statusCode).toBe(403);
    expect(await userByEmail(stranger.email as string)).toBeNull();
  });

  it('takes an unverified account for the verified owner of its address, dropping the password someone set', async () => {
    const email = uniqueEmail('squatted');
    expect((await post(test.app, '/auth/register', { email, password: strongPassword })).statusCode).toBe(201);
    const { response } = await signInThroughProvider(person({ email }));
    expect(response.statusCode).toBe(303);
    const user = await userByEmail(email);
    expect(user?.emailVerifiedAt).toBeInstanceOf(Date);
    expect(user?.passwordHash).toBeNull();
    expectError(await post(test.app, '/auth/login', { email, password: strongPassword }), 401, 'INVALID_CREDENTIALS');
  });

  it('refuses a callback whose state is not the one this browser was given', async () => {
    upstream.signInAs(person());
    const first = await begin();
    const second = await begin();
    const back = await followUpstream(first.authorizationUrl, callbackPrefix);
    // The provider's answer to the first flow, in a browser that started another (login CSRF).
    const response = await callback(back, second.browser);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('started in another browser');
    expect(second.browser.cookie('gatehouse')).toBeUndefined();
  });

  it('refuses a replayed callback', async () => {
    const { response, browser, back } = await signInThroughProvider(person());
    expect(response.statusCode).toBe(303);
    browser.setCookie('gatehouse_oauth', back.searchParams.get('state') as string);
    const again = await callback(back, browser);
    expect(again.statusCode).toBe(400);
  });

  it('refuses an ID token whose nonce is not the one sent', async () => {
    const { response, browser } = await signInThroughProvider(person(), '', (url) =>
      url.searchParams.set('nonce', 'a-nonce-someone-else-chose-0123456789abcdef'),
    );
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('The provider did not complete the sign-in');
    expect(browser.cookie('gatehouse')).toBeUndefined();
  });

  it('refuses when the PKCE challenge was stripped or the verifier does not match it', async () => {
    const stripped = await signInThroughProvider(person(), '', (url) => {
      url.searchParams.delete('code_challenge');
      url.searchParams.delete('code_challenge_method');
    });
    expect(stripped.response.statusCode).toBe(400);
    const replaced = await signInThroughProvider(person(), '', (url) =>
      url.searchParams.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'),
    );
    expect(replaced.response.statusCode).toBe(400);
    expect(replaced.browser.cookie('gatehouse')).toBeUndefined();
  });

  it('answers a form post that is not a form (a JSON array) with 400, not 500', async () => {
    const response = await test.app.inject({
      method: 'POST',
      url: '/auth/oauth/test/callback',
      payload: '["x"]',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(400);
  });

  it('never links or creates through an address with non-ASCII letters (the Kelvin sign lower-cases to k)', async () => {
    const owner = await createVerifiedUser(test, uniqueEmail('kate'));
    const lookalike = owner.email.replace('k', '\u212A');
    const { response } = await signInThroughProvider(person({ email: lookalike }));
    expect(response.statusCode).toBe(403);
    expect((await get(test.app, '/auth/identities', owner.accessToken)).json().identities).toEqual([]);
  });

  it('answers a refusal at the provider (the person cancelled) with a page, not an error', async () => {
    const { authorizationUrl, browser } = await begin();
    const state = new URL(authorizationUrl).searchParams.get('state') as string;
    const back = new URL(
      `${callbackPrefix}?error=access_denied&state=${state}&iss=${encodeURIComponent(upstream.issuer)}`,
    );
    const response = await callback(back, browser);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('text/html');
  });

  it('refuses a locked account, and lets a blacklisted browser nowhere', async () => {
    const who = person();
    await signInThroughProvider(who);
    const user = await userByEmail(who.email as string);
    await test.services.repositories.users.updateLock(
      user?.id as number,
      { lockedAt: test.clock.now(), lockedUntil: null, lockReason: 'test' },
      test.clock.now(),
    );
    const { response, browser } = await signInThroughProvider(who);
    expect(response.statusCode).toBe(423);
    expect(browser.cookie('gatehouse')).toBeUndefined();
  });

  it('takes a form-posted answer (Apple) as the browser that set off, even without its device cookie', async () => {
    const admin = await createAdmin(test);
    const deviceId = crypto.randomUUID();
    upstream.signInAs(person());
    const browser = openBrowser(test.app);
    browser.setCookie('gatehouse_device', deviceId);
    const { authorizationUrl } = await begin('', browser);
    const back = await followUpstream(authorizationUrl, callbackPrefix);
    // Cross-site: the Lax cookies stay behind; the state cookie (SameSite=None on https) comes along.
    const crossSite = openBrowser(test.app);
    crossSite.setCookie('gatehouse_oauth', browser.cookie('gatehouse_oauth') as string);
    const formPost = () =>
      crossSite.post('/auth/oauth/test/callback', Object.fromEntries(back.searchParams), {
        origin: 'https://appleid.apple.com',
      });
    expect(
      (await post(test.app, '/admin/devices/blacklist', { deviceId, reason: 'stolen laptop' }, admin.accessToken))
        .statusCode,
    ).toBe(201);
    const refused = await formPost();
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('blocked');
    // The browser's own device cookie is left alone.
    expect(crossSite.cookie('gatehouse_device')).toBeUndefined();
  });

  it('asks for the second factor of an account that has one, unless the provider asserts MFA', async () => {
    const who = person();
    await signInThroughProvider(who);
    const user = await userByEmail(who.email as string);
    // SMS as second factor, set straight in the database: how it gets there is the two-factor suite's business.
    await test.db
      .update(users)
      .set({ smsMfaEnabledAt: test.clock.now(), phoneNumber: '+15550001111', phoneVerifiedAt: test.clock.now() })
      .where(eq(users.id, user?.id as number));
    const second = await signInThroughProvider(who);
    expect(second.response.headers.location).toBe('/login/2fa');
    expect(second.browser.cookie('gatehouse')).toBeUndefined();
    expect(second.browser.cookie('gatehouse_mfa')).toBeTruthy();

    // A first link made through the email is not proof enough to skip the account's own second step.
    const owner = await createVerifiedUser(test);
    await test.db
      .update(users)
      .set({ smsMfaEnabledAt: test.clock.now(), phoneNumber: '+15550002222', phoneVerifiedAt: test.clock.now() })
      .where(eq(users.id, owner.userId));
    const firstLink = await signInThroughProvider(person({ email: owner.email, amr: ['pwd', 'mfa'] }));
    expect(firstLink.response.headers.location).toBe('/login/2fa');

    const vouched = await signInThroughProvider({ ...who, amr: ['pwd', 'mfa'] });
    expect(vouched.response.headers.location).toBe('/account');
    expect(vouched.browser.cookie('gatehouse')).toBeTruthy();
  });
});

describe('the hand-off to an app', () => {
  async function codeForApp(who: UpstreamPerson, codeChallenge?: string) {
    const { response, browser } = await signInThroughProvider(
      who,
      `?return_to=${encodeURIComponent(`${appOrigin}/signed-in`)}${codeChallenge ? `&code_challenge=${codeChallenge}` : ''}`,
    );
    expect(response.headers.location).toBe('/auth/oauth/handoff');
    const handoff = await browser.get('/auth/oauth/handoff');
    expect(handoff.statusCode).toBe(303);
    const target = new URL(handoff.headers.location as string);
    expect(target.origin + target.pathname).toBe(`${appOrigin}/signed-in`);
    return target.searchParams.get('code') as string;
  }

  it('gives the app a code that it trades once for the sign-in answer', async () => {
    const who = person();
    const code = await codeForApp(who);
    const exchanged = await post(test.app, '/auth/oauth/exchange', { code, deviceInfo: { deviceName: 'App' } });
    expect(exchanged.statusCode).toBe(200);
    expect(exchanged.json()).toMatchObject({ user: { email: who.email }, tokenType: 'Bearer' });
    expect((await get(test.app, '/auth/profile', exchanged.json().accessToken)).statusCode).toBe(200);
    expectError(await post(test.app, '/auth/oauth/exchange', { code }), 400, 'OAUTH_CODE_INVALID');
  });

  it('refuses a code after 60 seconds, and a made-up one', async () => {
    const code = await codeForApp(person());
    test.clock.advanceSeconds(61);
    expectError(await post(test.app, '/auth/oauth/exchange', { code }), 400, 'OAUTH_CODE_INVALID');
    expectError(await post(test.app, '/auth/oauth/exchange', { code: 'x'.repeat(43) }), 400, 'OAUTH_CODE_INVALID');
    expectError(await post(test.app, '/auth/oauth/exchange', {}), 400, 'VALIDATION_FAILED');
  });

  it('binds the code to the app that started with a code_challenge (PKCE S256)', async () => {
    const verifier = 'a-verifier-only-the-app-knows-0123456789-abcdefghij';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    // A code from someone else's sign-in, planted in the app, is of no use without the verifier.
    const planted = await codeForApp(person(), challenge);
    expectError(await post(test.app, '/auth/oauth/exchange', { code: planted }), 400, 'OAUTH_CODE_INVALID');
    const wrong = await codeForApp(person(), challenge);
    expectError(
      await post(test.app, '/auth/oauth/exchange', { code: wrong, codeVerifier: `${verifier}-not` }),
      400,
      'OAUTH_CODE_INVALID',
    );
    const right = await codeForApp(person(), challenge);
    expect((await post(test.app, '/auth/oauth/exchange', { code: right, codeVerifier: verifier })).statusCode).toBe(
      200,
    );
    const malformed = await openBrowser(test.app).get('/auth/oauth/test?code_challenge=short');
    expect(malformed.statusCode).toBe(400);
  });

  it('never hands a code to a browser that is not the one that signed in', async () => {
    const { browser } = await signInThroughProvider(person(), `?return_to=${encodeURIComponent(`${appOrigin}/x`)}`);
    // Another browser holding the ticket, but not signed in as its owner.
    const stranger = openBrowser(test.app);
    stranger.setCookie('gatehouse_handoff', browser.cookie('gatehouse_handoff') as string);
    const answer = await stranger.get('/auth/oauth/handoff');
    expect(answer.headers.location).toBe('/login');
  });

  it('refuses a return_to on an origin that is not allowed before going anywhere', async () => {
    const response = await test.app.inject({ method: 'GET', url: '/auth/oauth/test?return_to=https://evil.example/' });
    expect(response.statusCode).toBe(400);
  });
});

describe('linked identities', () => {
  it('refuses to unlink the last way into an account, and unlinks one of several', async () => {
    const who = person();
    const { browser } = await signInThroughProvider(who);
    const user = await userByEmail(who.email as string);
    const signedIn = await test.services.federation.listIdentities(user?.id as number);
    // The browser session proves who it is; the API is reached with a token from the same account.
    const api = await test.services.sessions.startSession(
      user?.id as number,
      {},
      { ipAddress: '127.0.0.1', userAgent: null },
      null,
    );
    expectError(
      await del(test.app, `/auth/identities/${signedIn[0]?.id}`, api.accessToken),
      409,
      'LAST_SIGN_IN_METHOD',
    );

    // An administrator sees it on the user's console page.
    const admin = openBrowser(test.app);
    const adminEmail = (await createAdmin(test)).email;
    await admin.submit('/login', '/login', { email: adminEmail, password: strongPassword });
    const consolePage = await admin.get(`/console/users/${user?.id}`);
    expect(consolePage.body).toMatch(/Linked sign-ins<\/h2>\s*<ul><li>Test IdP \(/);

    // With a second identity linked from the account page, one of the two may go.
    await test.services.repositories.federation.insertIdentity({
      id: crypto.randomUUID(),
      userId: user?.id as number,
      provider: 'other',
      subject: 'elsewhere',
      email: null,
      createdAt: test.clock.now(),
    });
    const unlink = await browser.submit('/account/identities', `/account/identities/${signedIn[0]?.id}/unlink`, {});
    expect(unlink.statusCode).toBe(303);
    expect((await get(test.app, '/auth/identities', api.accessToken)).json().identities).toHaveLength(1);
    expectError(
      await del(test.app, `/auth/identities/${crypto.randomUUID()}`, api.accessToken),
      404,
      'IDENTITY_NOT_FOUND',
    );
    expectError(await del(test.app, '/auth/identities/not-a-uuid', api.accessToken), 400, 'VALIDATION_FAILED');
  });

  it('links another identity from the account page, once the owner proves it is them', async () => {
    const owner = await createVerifiedUser(test);
    const browser = openBrowser(test.app);
    expect(
      (await browser.submit('/login', '/login', { email: owner.email, password: strongPassword })).statusCode,
    ).toBe(303);
    test.clock.advanceSeconds(600);
    const form = (fields: Record<string, string>) =>
      browser.submit('/account/identities', '/account/identities/link', { provider: 'test', ...fields });
    // Ten minutes after signing in, a session alone is not enough to add a way in.
    const stale = await form({});
    expect(stale.statusCode).toBe(403);
    expect(stale.body).toContain('Enter your password first');
    const started = await form({ password: strongPassword });
    expect(started.statusCode).toBe(200);
    const providerUrl = /^0;url=(.+)$/.exec(started.headers.refresh as string)?.[1] as string;
    expect(new URL(providerUrl).origin).toBe(upstream.issuer);
    // Any identity, even one whose email the provider did not verify: the owner is signed in.
    upstream.signInAs(person({ email: 'someone-else@example.org', email_verified: false }));
    const back = await followUpstream(providerUrl, callbackPrefix);
    const linked = await callback(back, browser);
    expect(linked.headers.location).toBe('/account/identities?done=linked');
    expect((await get(test.app, '/auth/identities', owner.accessToken)).json().identities).toMatchObject([
      { provider: 'test', email: 'someone-else@example.org' },
    ]);
  });
});

describe('providers as data (/admin/identity-providers)', () => {
  async function superAdmin() {
    const email = uniqueEmail('root');
    await createSuperAdmin(superAdminDeps(test), { email, password: strongPassword }, { onlyIfNone: false });
    return (await post(test.app, '/auth/login', { email, password: strongPassword })).json().accessToken as string;
  }

  it('needs idp.manage', async () => {
    const user = await createVerifiedUser(test);
    expectError(await get(test.app, '/admin/identity-providers', user.accessToken), 403, 'FORBIDDEN');
    expectError(await get(test.app, '/admin/identity-providers'), 401, 'UNAUTHORIZED');
  });

  it('adds, changes and removes a provider at run time; environment ones are read-only', async () => {
    const token = await superAdmin();
    const listed = await get(test.app, '/admin/identity-providers', token);
    expect(listed.json().providers).toMatchObject([{ id: 'test', source: 'environment' }]);
    expect(JSON.stringify(listed.json())).not.toContain(upstreamClientSecret);

    const body = {
      id: 'acme',
      name: 'Acme SSO',
      issuer: upstream.issuer,
      clientId: upstreamClientId,
      clientSecret: upstreamClientSecret,
    };
    const created = await post(test.app, '/admin/identity-providers', body, token);
    expect(created.statusCode).toBe(201);
    expect(created.json().provider).toMatchObject({ id: 'acme', type: 'oidc', source: 'admin', enabled: true });
    expect((await get(test.app, '/auth/providers')).json().providers.map((p: { id: string }) => p.id)).toEqual([
      'test',
      'acme',
    ]);
    expectError(await post(test.app, '/admin/identity-providers', body, token), 409, 'PROVIDER_EXISTS');
    expectError(
      await post(test.app, '/admin/identity-providers', { ...body, id: 'test' }, token),
      409,
      'PROVIDER_READ_ONLY',
    );
    expectError(
      await post(test.app, '/admin/identity-providers', { ...body, id: 'Bad Id' }, token),
      400,
      'VALIDATION_FAILED',
    );

    // The stored provider signs people in like an environment one.
    upstream.signInAs(person());
    const start = await begin('', openBrowser(test.app), 'acme');
    const back = await followUpstream(start.authorizationUrl, `${publicUrl}/auth/oauth/acme/callback`);
    const done = await callback(back, start.browser);
    expect(done.headers.location).toBe('/account');

    const patch = (id: string, payload: unknown) =>
      test.app.inject({
        method: 'PATCH',
        url: `/admin/identity-providers/${id}`,
        payload: payload as object,
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await patch('acme', { name: 'Acme' })).json().provider.name).toBe('Acme');
    // Its identities are that issuer's subjects: another issuer may not take them over.
    expectError(await patch('acme', { issuer: 'http://127.0.0.1:9' }), 400, 'VALIDATION_FAILED');
    expectError(await patch('test', { name: 'Mine' }), 409, 'PROVIDER_READ_ONLY');
    expectError(await patch('acme', {}), 400, 'VALIDATION_FAILED');
    expect((await del(test.app, '/admin/identity-providers/acme', token)).statusCode).toBe(200);
    expect(await test.services.repositories.federation.countIdentitiesOf('acme')).toBe(0);
    expectError(await get(test.app, '/admin/identity-providers/acme', token), 404, 'PROVIDER_NOT_FOUND');
    expect((await test.app.inject({ method: 'GET', url: '/auth/oauth/acme' })).statusCode).toBe(404);
  });

  it('refuses an issuer that cannot be reached, naming the provider', async () => {
    const token = await superAdmin();
    const response = await post(
      test.app,
      '/admin/identity-providers',
      { id: 'gone', name: 'Gone', issuer: 'http://127.0.0.1:9', clientId: 'x', clientSecret: 'y' },
      token,
    );
    expectError(response, 502, 'PROVIDER_UNAVAILABLE');
    expect(response.json().message).toContain('"Gone" (gone)');
  });
});
