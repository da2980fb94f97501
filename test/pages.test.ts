import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../src/db/schema.js';
import {
  type Browser,
  cookieSetBy,
  csrfOf,
  type Headers,
  hiddenFieldsOf,
  isCleared,
  openBrowser,
  unescapeHtml,
} from './form-browser.js';
import {
  buildTestApp,
  codeFrom,
  createAdmin,
  createVerifiedUser,
  del,
  get,
  post,
  strongPassword,
  type TestApp,
  uniqueEmail,
} from './helpers.js';

// The hosted pages as a browser without JavaScript meets them: forms, cookies, redirects, sentences.

const evilOrigin = 'https://evil.example';
const newPassword = 'a brand new passphrase for the gatehouse';

const signInByForm = (browser: Browser, email: string, password = strongPassword, page = '/login') =>
  browser.submit(page, '/login', { email, password });

/** The id of the session the browser's cookie names (the part before the dot). */
function sessionIdOf(browser: Browser, name = 'gatehouse'): string {
  const value = browser.cookie(name);
  if (!value) throw new Error(`the browser has no ${name} cookie`);
  return decodeURIComponent(value).split('.')[0] ?? '';
}

/** A page a person reads: HTML (never a JSON body) with the given status and sentence. */
function expectPage(response: LightMyRequestResponse, status: number, sentence: string | RegExp) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^text\/html/);
  expect(response.body.trimStart().startsWith('<!doctype html>')).toBe(true);
  expect(response.body).toMatch(sentence);
}

function expectSeeOther(response: LightMyRequestResponse, location: string) {
  expect({ status: response.statusCode, location: response.headers.location }).toEqual({ status: 303, location });
}

/** The browser's next account page load sends it to sign in, and its dead session cookie is deleted. */
async function expectSignedOut(browser: Browser) {
  const response = await browser.get('/account');
  expectSeeOther(response, '/login?return_to=%2Faccount');
  const cleared = cookieSetBy(response, 'gatehouse');
  expect(cleared && isCleared(cleared)).toBe(true);
  expect(browser.cookie('gatehouse')).toBeUndefined();
}

interface ListedSession {
  id: string;
  platform: string | null;
  deviceName: string | null;
}

async function listedSessions(test: TestApp, accessToken: string): Promise<ListedSession[]> {
  const response = await get(test.app, '/auth/sessions', accessToken);
  expect(response.statusCode).toBe(200);
  return response.json().sessions;
}

/** A verified user (with an API session too) signed in by form in a fresh browser. */
async function signedInBrowser(test: TestApp) {
  const user = await createVerifiedUser(test);
  const browser = openBrowser(test.app);
  expectSeeOther(await signInByForm(browser, user.email), '/account');
  return { user, browser, sessionId: sessionIdOf(browser) };
}

/** A test app for the enclosing `describe`, with its own environment. */
function useTestApp(env: Record<string, string>): () => TestApp {
  let built: TestApp | undefined;
  beforeAll(async () => {
    built = await buildTestApp({ env });
  });
  afterAll(() => built?.close());
  return () => {
    if (!built) throw new Error('the test app is not built yet');
    return built;
  };
}

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

describe('GET /login', () => {
  it('is an HTML page under a strict CSP, not framable, not cached', async () => {
    const response = await openBrowser(test.app).get('/login');
    expectPage(response, 200, '<h1>Sign in</h1>');
    const csp = response.headers['content-security-policy'];
    for (const directive of ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain("'unsafe-inline'");
    expect(response.body).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it.each(['email', 'password'])('labels the %s input', async (name) => {
    const { body } = await openBrowser(test.app).get('/login');
    const id = new RegExp(`<input id="([^"]+)" name="${name}"`).exec(body)?.[1];
    expect(id).toBeDefined();
    expect(body).toContain(`<label for="${id}">`);
  });

  it('gives the browser an HttpOnly, SameSite=Lax device cookie, not Secure on http', async () => {
    const device = cookieSetBy(await openBrowser(test.app).get('/login'), 'gatehouse_device');
    expect(device?.value).toMatch(/^[0-9a-f-]{36}$/);
    expect(device?.attributes).toMatchObject({ httponly: '', samesite: 'Lax', path: '/' });
    expect(device?.attributes).not.toHaveProperty('secure');
  });
});

describe('signing in by form', () => {
  it('opens a browser session: an HttpOnly cookie, the account page, a "Chrome on Linux" session in the API', async () => {
    const user = await createVerifiedUser(test);
    const browser = openBrowser(test.app);
    const response = await signInByForm(browser, user.email);
    expectSeeOther(response, '/account');
    expect(cookieSetBy(response, 'gatehouse')?.attributes).toMatchObject({ httponly: '', samesite: 'Lax', path: '/' });

    expectPage(await browser.get('/account'), 200, user.email);
    const listed = (await listedSessions(test, user.accessToken)).find(({ id }) => id === sessionIdOf(browser));
    expect(listed).toMatchObject({ platform: 'Web', deviceName: 'Chrome on Linux' });
  });

  it('a new browser secret for the session retires the old cookie, even once the session is cached', async () => {
    const { browser, sessionId } = await signedInBrowser(test);
    expectPage(await browser.get('/account'), 200, 'Your account');
    // The secret changes in the database; the cache that holds the session must hear of it.
    await test.services.sessions.openBrowserSession(sessionId);
    await test.services.accessCache.sync();
    await expectSignedOut(browser);
  });

  it('stores only a SHA-256 of the cookie secret', async () => {
    const { browser, sessionId } = await signedInBrowser(test);
    const secret = decodeURIComponent(browser.cookie('gatehouse') ?? '').split('.')[1] ?? '';
    const [row] = await test.db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(row?.browserSecretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.browserSecretHash).not.toBe(secret);
    expect(row?.browserSecretHash).toBe(createHash('sha256').update(secret).digest('hex'));
  });
});

describe('CSRF', () => {
  const loginForm = async (csrf?: string) => {
    const user = await createVerifiedUser(test);
    return { email: user.email, password: strongPassword, ...(csrf ? { _csrf: csrf } : {}) };
  };

  it('refuses a sign-in without the token, and opens no session', async () => {
    const browser = openBrowser(test.app);
    await browser.get('/login');
    const response = await browser.post('/login', await loginForm());
    expectPage(response, 403, 'This form has expired');
    expect(cookieSetBy(response, 'gatehouse')).toBeUndefined();
  });

  it.each<Headers>([{ origin: evilOrigin }, { referer: `${evilOrigin}/trap` }, { origin: 'null' }])(
    'refuses a sign-in with a valid token sent from another site (%o)',
    async (headers) => {
      const browser = openBrowser(test.app);
      const csrf = csrfOf((await browser.get('/login')).body);
      const response = await browser.post('/login', await loginForm(csrf), headers);
      expectPage(response, 403, 'This form has expired');
      expect(cookieSetBy(response, 'gatehouse')).toBeUndefined();
    },
  );

  it("refuses another browser's token", async () => {
    const attacker = openBrowser(test.app);
    const foreignToken = csrfOf((await attacker.get('/login')).body);
    const victim = openBrowser(test.app);
    await victim.get('/login');
    const response = await victim.post('/login', await loginForm(foreignToken));
    expectPage(response, 403, 'This form has expired');
    expect(victim.cookie('gatehouse')).toBeUndefined();
  });

  it('refuses a cross-site sign-out, and the session goes on working', async () => {
    const { browser } = await signedInBrowser(test);
    const response = await browser.post('/logout', {}, { origin: evilOrigin });
    expectPage(response, 403, 'This form has expired');
    expectPage(await browser.get('/account'), 200, 'Your account');
  });
});

describe('return_to', () => {
  it.each([
    'https://evil.example/x',
    '//evil.example',
    '/\\evil.example',
    'javascript:alert(1)',
    '/\t/evil.example',
    '/\n/evil.example',
    ' //evil.example',
  ])('refuses %s with a page, not a redirect', async (address) => {
    const response = await openBrowser(test.app).get(`/login?return_to=${encodeURIComponent(address)}`);
    expectPage(response, 400, 'This link cannot be followed');
    expect(response.headers.location).toBeUndefined();
  });

  it('refuses a forged return_to in the posted form, before signing in', async () => {
    const user = await createVerifiedUser(test);
    const browser = openBrowser(test.app);
    const response = await browser.submit('/login', '/login', {
      email: user.email,
      password: strongPassword,
      return_to: '//evil.example',
    });
    expectPage(response, 400, 'This link cannot be followed');
    expect(browser.cookie('gatehouse')).toBeUndefined();
  });

  it('sends the browser on to a path of ours after signing in', async () => {
    const user = await createVerifiedUser(test);
    const browser = openBrowser(test.app);
    const response = await signInByForm(browser, user.email, strongPassword, '/login?return_to=%2Faccount%2Fsessions');
    expectSeeOther(response, '/account/sessions');
    expectPage(await browser.get('/account/sessions'), 200, 'Chrome on Linux');
  });

  describe('with ALLOWED_RETURN_ORIGINS', () => {
    const app = useTestApp({ ALLOWED_RETURN_ORIGINS: 'https://app.example.com' });

    it('sends the browser on to an allowed origin after signing in', async () => {
      const user = await createVerifiedUser(app());
      const page = `/login?return_to=${encodeURIComponent('https://app.example.com/done')}`;
      const response = await signInByForm(openBrowser(app().app), user.email, strongPassword, page);
      expectSeeOther(response, 'https://app.example.com/done');
    });
  });
});

type Target = Awaited<ReturnType<typeof signedInBrowser>> & { deviceId: string };
type Revoke = (target: Target) => Promise<LightMyRequestResponse>;

async function asAdmin(action: (accessToken: string) => Promise<LightMyRequestResponse>) {
  return action((await createAdmin(test)).accessToken);
}

const lockAccount = (userId: number) => asAdmin((token) => post(test.app, `/admin/users/${userId}/lock`, {}, token));
const blacklistBrowser: Revoke = (target) =>
  asAdmin((token) => post(test.app, '/admin/devices/blacklist', { deviceId: target.deviceId }, token));

const revocations: Array<[string, Revoke]> = [
  ['the user ends it through the API', (t) => del(test.app, `/auth/sessions/${t.sessionId}`, t.user.accessToken)],
  ['the user signs out everywhere through the API', (t) => del(test.app, '/auth/sessions', t.user.accessToken)],
  ['an admin locks the account', (t) => lockAccount(t.user.userId)],
  ['an admin blacklists the browser', blacklistBrowser],
];

describe('a browser session obeys revocation', () => {
  const signedInTarget = async (): Promise<Target> => {
    const target = await signedInBrowser(test);
    expectPage(await target.browser.get('/account'), 200, target.user.email);
    return { ...target, deviceId: target.browser.cookie('gatehouse_device') ?? '' };
  };

  it.each(revocations)('%s: the next page sends it to sign in and deletes the cookie', async (_, revoke) => {
    const target = await signedInTarget();
    expect((await revoke(target)).statusCode).toBeLessThan(300);
    await expectSignedOut(target.browser);
  });

  it('a blacklisted browser cannot sign in again; another browser can', async () => {
    const target = await signedInTarget();
    expect((await blacklistBrowser(target)).statusCode).toBe(201);
    const again = await signInByForm(target.browser, target.user.email);
    expectPage(again, 403, 'Signing in from this browser has been blocked.');
    expect(target.browser.cookie('gatehouse')).toBeUndefined();
    expectSeeOther(await signInByForm(openBrowser(test.app), target.user.email), '/account');
  });
});

describe('refusals are sentences on the page', () => {
  it('a wrong password: 401', async () => {
    const user = await createVerifiedUser(test);
    expectPage(await signInByForm(openBrowser(test.app), user.email, 'not the password at all'), 401, 'do not match');
  });

  it('an unconfirmed address with the right password: 403 and a link to the code page', async () => {
    const email = uniqueEmail();
    expect((await post(test.app, '/auth/register', { email, password: strongPassword })).statusCode).toBe(201);
    const response = await signInByForm(openBrowser(test.app), email);
    expectPage(response, 403, `href="/verify-email?email=${encodeURIComponent(email)}"`);
  });

  it('a locked account: 423', async () => {
    const user = await createVerifiedUser(test);
    expect((await lockAccount(user.userId)).statusCode).toBe(200);
    expectPage(await signInByForm(openBrowser(test.app), user.email), 423, 'This account is locked.');
  });

  describe('with a budget of 2 attempts per email', () => {
    const app = useTestApp({ RATE_LIMIT_PER_IDENTIFIER: '2', RATE_LIMIT_PER_IP: '1000' });

    it('the third wrong sign-in is a 429 page with Retry-After', async () => {
      const email = uniqueEmail();
      const browser = openBrowser(app().app);
      const wrongSignIn = () => signInByForm(browser, email, 'wrong password');
      expectPage(await wrongSignIn(), 401, 'do not match');
      expectPage(await wrongSignIn(), 401, 'do not match');
      const third = await wrongSignIn();
      expectPage(third, 429, 'Too many attempts in a short time.');
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    });
  });
});

describe('the second step by text message', () => {
  /** The newest 6-digit code texted to `phoneNumber`. */
  async function textedCode(phoneNumber: string): Promise<string> {
    await test.platform.outbox.drain();
    const sms = test.mailbox.messages
      .filter((message) => message.channel === 'sms' && message.to === phoneNumber)
      .at(-1);
    return codeFrom(sms?.text);
  }

  it('sends a new code on request, after the cooldown, and accepts it', async () => {
    const user = await createVerifiedUser(test);
    const phoneNumber = `+1415555${String(Date.now()).slice(-4)}`;
    const bearer = { authorization: `Bearer ${user.accessToken}` };
    await test.app.inject({ method: 'PUT', url: '/users/me', headers: bearer, payload: { phoneNumber } });
    await post(test.app, '/auth/otp/send', { channel: 'sms', purpose: 'verify_phone' }, user.accessToken);
    const verifyPhone = { channel: 'sms', purpose: 'verify_phone', code: await textedCode(phoneNumber) };
    expect((await post(test.app, '/auth/otp/verify', verifyPhone, user.accessToken)).statusCode).toBe(200);
    await post(test.app, '/auth/2fa/enable', { method: 'sms', password: strongPassword }, user.accessToken);
    const confirm = { method: 'sms', code: await textedCode(phoneNumber) };
    expect((await post(test.app, '/auth/2fa/verify', confirm, user.accessToken)).statusCode).toBe(200);

    // Signing in right after the code that turned it on: the cooldown holds the SMS back, not the sign-in.
    const browser = openBrowser(test.app);
    expectSeeOther(await signInByForm(browser, user.email), '/login/2fa');
    expectPage(await browser.submit('/login/2fa', '/login/2fa/sms', {}), 429, 'Too many attempts');
    test.clock.advanceSeconds(31);
    expectPage(await browser.submit('/login/2fa', '/login/2fa/sms', {}), 200, 'A new code is on its way');
    const code = await textedCode(phoneNumber);
    expect(code).not.toBe(confirm.code);
    expectSeeOther(await browser.submit('/login/2fa', '/login/2fa', { code }), '/account');
  });
});

describe('the passkey answers of the pages', () => {
  it('refuse a missing or null answer with 400 and a sentence, not a 500', async () => {
    const browser = openBrowser(test.app);
    const opened = await browser.get('/login');
    const _csrf = hiddenFieldsOf(opened.body, '/login')._csrf;
    for (const response of [null, 'text', undefined]) {
      // A live challenge: the answer is checked before anything is spent.
      const { challengeId } = (await post(test.app, '/auth/passkeys/login/options', {})).json();
      const answer = await test.app.inject({
        method: 'POST',
        url: '/login/passkey',
        headers: { cookie: `gatehouse_device=${browser.cookie('gatehouse_device')}` },
        payload: { _csrf, challengeId, response },
      });
      expect(answer.statusCode).toBe(400);
      expect(answer.json().message).toMatch(/could not be read/);
    }
  });
});

describe('on an https PUBLIC_URL', () => {
  const app = useTestApp({ PUBLIC_URL: 'https://id.example.com' });

  it('the cookies are __Host- prefixed and Secure', async () => {
    const user = await createVerifiedUser(app());
    const browser = openBrowser(app().app);
    const device = cookieSetBy(await browser.get('/login'), '__Host-gatehouse_device');
    expect(device?.attributes).toMatchObject({ secure: '', path: '/', httponly: '' });
    expect(device?.attributes).not.toHaveProperty('domain');

    const response = await signInByForm(browser, user.email);
    expectSeeOther(response, '/account');
    expect(cookieSetBy(response, '__Host-gatehouse')?.attributes).toMatchObject({
      secure: '',
      path: '/',
      httponly: '',
    });
    expectPage(await browser.get('/account'), 200, user.email);

    // Deleting a __Host- cookie needs Secure too, or the browser keeps it.
    const signedOut = await browser.submit('/account', '/logout', {});
    expect(cookieSetBy(signedOut, '__Host-gatehouse')?.attributes).toMatchObject({ secure: '', path: '/' });
  });

  // Gatehouse has no TLS listener, so an https PUBLIC_URL means a TLS proxy in front: the request
  // arrives over plain http, yet the browser (which sends Origin on every POST) names the https origin.
  it('accepts a form posted from PUBLIC_URL through the TLS proxy', async () => {
    const user = await createVerifiedUser(app());
    const browser = openBrowser(app().app);
    const headers = { host: 'id.example.com', origin: 'https://id.example.com' };
    const response = await browser.submit('/login', '/login', { email: user.email, password: strongPassword }, headers);
    expectSeeOther(response, '/account');
  });
});

describe('POST /logout', () => {
  it('ends the session: a redirect, a deleted cookie, and the API no longer lists it', async () => {
    const { user, browser, sessionId } = await signedInBrowser(test);
    const oldCookie = browser.cookie('gatehouse') ?? '';
    const response = await browser.submit('/account', '/logout', {});
    expectSeeOther(response, '/login?signed_out=1');
    expect(browser.cookie('gatehouse')).toBeUndefined();
    expect((await listedSessions(test, user.accessToken)).map(({ id }) => id)).not.toContain(sessionId);

    // A copy of the old cookie is worth nothing.
    browser.setCookie('gatehouse', oldCookie);
    await expectSignedOut(browser);
  });
});

describe('registration without JavaScript', () => {
  it('register, follow the email link, confirm: signed in', async () => {
    const email = uniqueEmail('page');
    const browser = openBrowser(test.app);
    const registered = await browser.submit('/register', '/register', { email, password: strongPassword });
    expectSeeOther(registered, `/verify-email?email=${encodeURIComponent(email)}`);

    const mail = (await test.lastMailTo(email)) as { text: string; html?: string } | undefined;
    const code = codeFrom(mail?.text);
    const link = `/verify-email?email=${encodeURIComponent(email)}&amp;code=${code}`;
    expect(mail?.html).toContain(link);

    const page = await browser.get(unescapeHtml(link));
    expectPage(page, 200, `value="${code}"`);
    const confirmed = await browser.submit(unescapeHtml(link), '/verify-email', { code });
    expectSeeOther(confirmed, '/account');
    expectPage(await browser.get('/account'), 200, email);
  });
});

describe('password reset by form', () => {
  const resetLinkIn = (text: string | undefined) => {
    const path = /\/reset-password\?token=\S+/.exec(text ?? '')?.[0];
    if (!path) throw new Error(`no reset link in: ${text}`);
    return path;
  };

  it('the emailed link resets the password and signs every browser out', async () => {
    const { user, browser: signedIn } = await signedInBrowser(test);
    const browser = openBrowser(test.app);
    const asked = await browser.submit('/forgot-password', '/forgot-password', { email: user.email });
    expectPage(asked, 200, 'If an account uses this address');

    const link = resetLinkIn((await test.lastMailTo(user.email))?.text);
    expectPage(await browser.get(link), 200, 'type="password"');
    expectPage(
      await browser.submit(link, '/reset-password', { password: 'short' }),
      400,
      /Use at least \d+ characters/,
    );
    const reset = await browser.submit(link, '/reset-password', { password: newPassword });
    expectPage(reset, 200, 'every device that was signed in has been signed out');

    await expectSignedOut(signedIn);
    expectPage(await signInByForm(signedIn, user.email), 401, 'do not match');
    expectSeeOther(await signInByForm(signedIn, user.email, newPassword), '/account');
  });
});
