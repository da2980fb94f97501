import { and, eq, like } from 'drizzle-orm';
import * as openid from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it, vi } from 'vitest';
import { csrfOf, hiddenFieldsOf, openBrowser } from '../../../test/form-browser.js';
import { createVerifiedUser, post, strongPassword } from '../../../test/helpers.js';
import {
  authorizationRequest,
  follow,
  gatehouseForThisFile,
  signedInBrowser,
  signInAtApp,
  submitSignIn,
} from '../../../test/openid-harness.js';
import { auditEvents, loginEvents, oidcModels } from '../../db/schema.js';

// The provider's session is the browser's Gatehouse session: what holds when people, apps and
// requests are not the simple case.

const started = gatehouseForThisFile();
const { appFor } = started;

describe('one browser, two people', () => {
  it('does not hand the first person to an app once another has signed in on the same browser, nor after', async () => {
    const { test, publicUrl } = started;
    const alice = await createVerifiedUser(test);
    const bob = await createVerifiedUser(test);
    const { config } = await appFor();
    const browser = await signedInBrowser(test, alice.email);
    const first = await signInAtApp(browser, publicUrl, config);
    expect(first.tokens.claims()?.sub).toBe(String(alice.userId));

    // Bob signs in on the same browser (the form is there for an app's prompt=login).
    const form = await browser.get('/login?prompt=login');
    const switched = await browser.post('/login', {
      _csrf: csrfOf(form.body),
      email: bob.email,
      password: strongPassword,
    });
    expect(switched.statusCode).toBe(303);
    const asBob = await signInAtApp(browser, publicUrl, config);
    expect(asBob.tokens.claims()?.sub).toBe(String(bob.userId));

    // Bob signs out: the app's next request finds nobody signed in, not Alice.
    const account = await browser.get('/account');
    expect((await browser.post('/logout', { _csrf: csrfOf(account.body) })).statusCode).toBe(303);
    const request = authorizationRequest(config);
    const stop = await follow(browser, publicUrl, (await request.url()).href);
    expect(stop.at).toMatch(/^\/login\?/);
  });
});

describe('sign-ins at apps in the history', () => {
  it('records each app a session signs in to, single sign-on included', async () => {
    const { test, publicUrl } = started;
    const user = await createVerifiedUser(test);
    const orders = await appFor({ name: 'Orders' });
    const billing = await appFor({ name: 'Billing' });
    const browser = await signedInBrowser(test, user.email);
    await signInAtApp(browser, publicUrl, orders.config);
    await signInAtApp(browser, publicUrl, billing.config);
    await signInAtApp(browser, publicUrl, orders.config);
    const events = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'oidc.signed_in'), eq(auditEvents.targetUserId, user.userId)));
    expect(events.map((event) => (event.details as { clientName: string }).clientName)).toEqual([
      'Orders',
      'Billing',
      'Orders',
    ]);
    const page = await browser.get('/account/history');
    expect(page.body).toContain('(to Billing)');
    // The three name the browser's one session: the id its session cookie carries (`<session id>.<secret>`).
    const browserSessionId = browser.cookie('gatehouse')?.split('.')[0];
    expect(browserSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events.map((event) => (event.details as { sessionId: string }).sessionId)).toEqual([
      browserSessionId,
      browserSessionId,
      browserSessionId,
    ]);
    // The history rows say where from, as a password sign-in's do: the browser's address and device.
    const history = await test.db
      .select()
      .from(loginEvents)
      .where(and(eq(loginEvents.userId, user.userId), like(loginEvents.method, 'oidc:%')));
    expect(history).toHaveLength(3);
    for (const row of history) {
      expect(row).toMatchObject({
        success: true,
        sessionId: browserSessionId,
        ipAddress: '127.0.0.1',
        deviceName: 'Chrome on Linux',
      });
    }
  });
});

describe('what the provider publishes', () => {
  it('builds its addresses from PUBLIC_URL, never from a Host or X-Forwarded-Host a client sent', async () => {
    for (const headers of [
      { host: 'evil.example' },
      { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    ]) {
      const response = await started.test.app.inject({ url: '/oidc/.well-known/openid-configuration', headers });
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain('evil.example');
      expect(response.json().token_endpoint).toBe(`${started.issuer}/token`);
    }
  });

  it('keeps no provider-session cookie in the stored interactions', async () => {
    const { test, publicUrl } = started;
    const user = await createVerifiedUser(test);
    const { config } = await appFor({ firstParty: false, name: 'Partner' });
    const browser = await signedInBrowser(test, user.email);
    await signInAtApp(browser, publicUrl, (await appFor()).config);
    // A consent interaction for a browser that already has a provider session.
    const request = authorizationRequest(config);
    await follow(browser, publicUrl, (await request.url()).href);
    const interactions = await test.db.select().from(oidcModels).where(eq(oidcModels.kind, 'Interaction'));
    expect(interactions.length).toBeGreaterThan(0);
    for (const row of interactions) expect(JSON.stringify(row.payload)).not.toContain('"cookie"');
  });
});

describe('introspection and max_age', () => {
  it('tells a client about its own tokens only', async () => {
    const { test, publicUrl } = started;
    const user = await createVerifiedUser(test);
    const owner = await appFor();
    const other = await appFor({
      name: 'Nosy',
      grantTypes: ['client_credentials'],
      redirectUris: [],
      scopes: ['roles'],
    });
    const browser = await signedInBrowser(test, user.email);
    const { tokens } = await signInAtApp(browser, publicUrl, owner.config);
    expect((await openid.tokenIntrospection(owner.config, tokens.access_token)).active).toBe(true);
    const seen = await openid.tokenIntrospection(other.config, tokens.access_token);
    expect(seen.active).toBe(false);
    expect(seen.sub).toBeUndefined();
  });

  it('lets a session younger than max_age through without a new sign-in', async () => {
    const { test, publicUrl } = started;
    const user = await createVerifiedUser(test);
    const { config } = await appFor();
    const browser = await signedInBrowser(test, user.email);
    const { tokens } = await signInAtApp(browser, publicUrl, config, { max_age: '86400' });
    expect(tokens.claims()?.sub).toBe(String(user.userId));
    expect(typeof tokens.claims()?.auth_time).toBe('number');
  });
});

describe('a spent refresh token presented again', () => {
  it('within REFRESH_REUSE_GRACE costs the app its grant; beyond it, the Gatehouse session too, as on the API', async () => {
    const { test, publicUrl } = started;
    const graceSeconds = test.platform.config.refreshReuseGraceSeconds;
    const signedInAt = async () => {
      const user = await createVerifiedUser(test);
      const { config } = await appFor();
      const browser = await signedInBrowser(test, user.email);
      const { tokens } = await signInAtApp(browser, publicUrl, config);
      await openid.refreshTokenGrant(config, tokens.refresh_token as string);
      return { user, config, browser, spent: tokens.refresh_token as string };
    };

    const retry = await signedInAt();
    await expect(openid.refreshTokenGrant(retry.config, retry.spent)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await retry.browser.get('/account')).statusCode).toBe(200);

    const stolen = await signedInAt();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + (graceSeconds + 1) * 1000);
      await expect(openid.refreshTokenGrant(stolen.config, stolen.spent)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    } finally {
      vi.useRealTimers();
    }
    expect((await stolen.browser.get('/account')).statusCode).toBe(303);
    const [event] = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'refresh_token.reused'), eq(auditEvents.targetUserId, stolen.user.userId)));
    expect(event?.details).toMatchObject({ sessionRevoked: true });
  });
});

describe('prompt=login for an account with two-step verification', () => {
  it('asks for the password and the second step again before the app gets its code', async () => {
    const { test, publicUrl } = started;
    const user = await createVerifiedUser(test);
    const enabled = await post(
      test.app,
      '/auth/2fa/enable',
      { method: 'totp', password: strongPassword },
      user.accessToken,
    );
    const { secret } = enabled.json() as { secret: string };
    const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
    const confirmed = await post(test.app, '/auth/2fa/verify', { code: totp.generate() }, user.accessToken);
    // Recovery codes for both second steps: the authenticator's current code was just spent confirming it.
    const [firstCode, secondCode] = confirmed.json().recoveryCodes as string[];
    const { config } = await appFor();

    // The first sign-in: password, then the second step.
    const browser = openBrowser(test.app);
    const first = authorizationRequest(config);
    const atLogin = await follow(browser, publicUrl, (await first.url()).href);
    const returnTo = new URL(atLogin.at as string, publicUrl).searchParams.get('return_to') as string;
    const toSecondStep = await submitSignIn(browser, atLogin.page?.body ?? '', user.email);
    expect(toSecondStep.headers.location).toMatch(/^\/login\/2fa\?return_to=/);
    const stepPage = await browser.get(toSecondStep.headers.location as string);
    const signedIn = await browser.post('/login/2fa', {
      ...hiddenFieldsOf(stepPage.body, '/login/2fa'),
      recoveryCode: firstCode as string,
    });
    expect(signedIn.headers.location).toBe(returnTo);
    expect((await follow(browser, publicUrl, `${publicUrl}${returnTo}`)).left?.searchParams.get('code')).toBeTruthy();

    // The app asks for a new sign-in: the password, then the second step again.
    const again = authorizationRequest(config, { prompt: 'login' });
    const askedAgain = await follow(browser, publicUrl, (await again.url()).href);
    expect(askedAgain.at).toMatch(/&prompt=login$/);
    const interaction = new URL(askedAgain.at as string, publicUrl).searchParams.get('return_to') as string;
    const passwordAgain = await submitSignIn(browser, askedAgain.page?.body ?? '', user.email);
    expect(passwordAgain.headers.location).toMatch(/^\/login\/2fa\?return_to=/);
    // The password alone is not the new sign-in: the app still gets nothing.
    expect((await follow(browser, publicUrl, `${publicUrl}${interaction}`)).at).toMatch(/^\/login\?/);
    const secondStep = await browser.get(passwordAgain.headers.location as string);
    const done = await browser.post('/login/2fa', {
      ...hiddenFieldsOf(secondStep.body, '/login/2fa'),
      recoveryCode: secondCode as string,
    });
    expect(done.headers.location).toBe(interaction);
    const { left } = await follow(browser, publicUrl, `${publicUrl}${interaction}`);
    const tokens = await openid.authorizationCodeGrant(config, left as URL, {
      pkceCodeVerifier: again.verifier,
      expectedState: again.state,
      expectedNonce: again.nonce,
    });
    expect(tokens.claims()?.sub).toBe(String(user.userId));
  });
});
