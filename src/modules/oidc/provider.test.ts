import { and, eq } from 'drizzle-orm';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as openid from 'openid-client';
import { describe, expect, it } from 'vitest';
import { type Browser, csrfOf, hiddenFieldsOf, openBrowser } from '../../../test/form-browser.js';
import { createVerifiedUser, strongPassword } from '../../../test/helpers.js';
import {
  appLogoutUri,
  authorizationRequest,
  follow,
  gatehouseForThisFile,
  signedInBrowser,
  signInAtApp,
  submitSignIn,
} from '../../../test/openid-harness.js';
import { auditEvents } from '../../db/schema.js';
import { createRoleRepository } from '../roles/repository.js';

const started = gatehouseForThisFile();
const { appFor, personAtApp } = started;

/** Whether the browser still has a Gatehouse session: /account answers, or sends it to /login. */
async function signedInAtGatehouse(browser: Browser): Promise<boolean> {
  return (await browser.get('/account')).statusCode === 200;
}

describe('discovery and keys', () => {
  it('publishes the issuer PUBLIC_URL/oidc, its endpoints, RS256 and EdDSA keys, S256 only', async () => {
    const { test, issuer } = started;
    const response = await test.app.inject({ url: '/oidc/.well-known/openid-configuration' });
    expect(response.statusCode).toBe(200);
    const metadata = response.json();
    expect(metadata.issuer).toBe(issuer);
    for (const endpoint of [
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
      'revocation_endpoint',
      'introspection_endpoint',
      'end_session_endpoint',
      'pushed_authorization_request_endpoint',
    ]) {
      expect(metadata[endpoint], endpoint).toMatch(new RegExp(`^${issuer}/`));
    }
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['RS256', 'EdDSA']);
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'phone', 'offline_access', 'roles']),
    );
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    );
    const jwks = (await test.app.inject({ url: '/oidc/jwks' })).json() as { keys: Array<Record<string, string>> };
    expect(jwks.keys.map((key) => key.alg).sort()).toEqual(['EdDSA', 'RS256']);
    // Public halves only.
    for (const key of jwks.keys) expect(key.d).toBeUndefined();
  });
});

describe('sign-in at an app (authorization code + PKCE)', () => {
  it('issues an ID token an app can verify: issuer, audience, nonce, RS256 against the JWKS', async () => {
    const user = await createVerifiedUser(started.test);
    const { client, config } = await appFor();
    const browser = await signedInBrowser(started.test, user.email);
    const request = authorizationRequest(config);
    const { left } = await follow(browser, started.publicUrl, (await request.url()).href);
    expect(left?.origin).toBe('http://127.0.0.1:9');
    expect(left?.searchParams.get('iss')).toBe(started.issuer);
    const tokens = await openid.authorizationCodeGrant(config, left as URL, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.id_token as string;
    expect(decodeProtectedHeader(idToken).alg).toBe('RS256');
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri as string));
    const { payload } = await jwtVerify(idToken, jwks, { issuer: started.issuer, audience: client.clientId });
    expect(payload.sub).toBe(String(user.userId));
    expect(payload.nonce).toBe(request.nonce);
    expect(typeof payload.auth_time).toBe('number');
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
  });

  it('signs with EdDSA for a client registered for it', async () => {
    const { tokens, config } = await personAtApp({ idTokenSigningAlg: 'EdDSA' });
    const idToken = tokens.id_token as string;
    expect(decodeProtectedHeader(idToken).alg).toBe('EdDSA');
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri as string));
    await expect(jwtVerify(idToken, jwks, { issuer: started.issuer })).resolves.toBeDefined();
  });

  it('answers userinfo with the claims of the scopes granted, roles live', async () => {
    const { test } = started;
    const user = await createVerifiedUser(test);
    await test.app.inject({
      method: 'PUT',
      url: '/users/me',
      headers: { authorization: `Bearer ${user.accessToken}` },
      payload: { firstName: 'Ada', lastName: 'Lovelace' },
    });
    await createRoleRepository(test.db).insertUserRole(user.userId, 'ADMIN', new Date());
    const { config } = await appFor();
    const browser = await signedInBrowser(test, user.email);
    const sub = String(user.userId);

    const narrow = await signInAtApp(browser, started.publicUrl, config, { scope: 'openid email' });
    const emailOnly = await openid.fetchUserInfo(config, narrow.tokens.access_token, sub);
    expect(emailOnly).toEqual({ sub, email: user.email, email_verified: true });

    const wide = await signInAtApp(browser, started.publicUrl, config, { scope: 'openid profile email phone roles' });
    const all = await openid.fetchUserInfo(config, wide.tokens.access_token, sub);
    expect(all).toMatchObject({
      sub,
      name: 'Ada Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      email: user.email,
      roles: expect.arrayContaining(['ADMIN', 'USER']),
    });
    expect(typeof all.updated_at).toBe('number');
    expect(all.permissions).toEqual(expect.arrayContaining(['user.read_all', 'user.lock']));
  });

  it('writes the sign-in at the app to login history and the audit trail, naming the client', async () => {
    const { user, client, browser } = await personAtApp();
    expect((await browser.get('/account/history')).body).toContain('(to Orders)');
    const history = await started.test.app.inject({
      url: '/auth/logins',
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    const methods = history.json().logins.map((event: { method: string }) => event.method);
    expect(methods).toContain(`oidc:${client.clientId}`);
    const audit = await started.test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'oidc.signed_in'), eq(auditEvents.targetUserId, user.userId)));
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ clientId: client.clientId, clientName: 'Orders' });
  });
});

describe('refresh tokens, revocation, introspection', () => {
  it('rotates a refresh token on each use; a used one presented again revokes the grant', async () => {
    const { config, tokens } = await personAtApp();
    const first = tokens.refresh_token as string;
    expect(first).toBeDefined();
    const second = await openid.refreshTokenGrant(config, first);
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first);
    expect(second.claims()?.sub).toBe(tokens.claims()?.sub);
    await expect(openid.refreshTokenGrant(config, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Two parties held the chain: neither keeps it.
    await expect(openid.refreshTokenGrant(config, second.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('introspects a live access token, and not one revoked', async () => {
    const { config, tokens, client, user } = await personAtApp();
    const live = await openid.tokenIntrospection(config, tokens.access_token);
    expect(live).toMatchObject({ active: true, sub: String(user.userId), client_id: client.clientId });
    await openid.tokenRevocation(config, tokens.access_token);
    expect((await openid.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
  });

  it('revokes a refresh token', async () => {
    const { config, tokens } = await personAtApp();
    await openid.tokenRevocation(config, tokens.refresh_token as string);
    await expect(openid.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});

describe('single sign-on and its end', () => {
  it('sends a browser without a session to the sign-in page, and on to the app after it', async () => {
    const user = await createVerifiedUser(started.test);
    const { config } = await appFor();
    const browser = openBrowser(started.test.app);
    const request = authorizationRequest(config);
    const stop = await follow(browser, started.publicUrl, (await request.url()).href);
    expect(stop.at).toMatch(/^\/login\?return_to=%2Foidc%2Finteraction%2F/);
    expect(stop.page?.body).toContain('to continue to <strong>Orders</strong>');
    const returnTo = decodeURIComponent(/return_to=([^&]+)/.exec(stop.at as string)?.[1] ?? '');
    // The form carries the app: a refused attempt still says where the person is going.
    expect(hiddenFieldsOf(stop.page?.body ?? '', '/login')).toMatchObject({
      return_to: returnTo,
      app: config.clientMetadata().client_id,
    });
    const refused = await submitSignIn(browser, stop.page?.body ?? '', user.email, `${strongPassword} but wrong`);
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('to continue to <strong>Orders</strong>');
    // A made-up id names nothing.
    const madeUp = await browser.post('/login', {
      ...hiddenFieldsOf(refused.body, '/login'),
      app: 'not-a-client',
      email: user.email,
      password: `${strongPassword} but wrong`,
    });
    expect(madeUp.body).not.toContain('to continue to');
    const signedIn = await submitSignIn(browser, madeUp.body, user.email);
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe(returnTo);
    const { left } = await follow(browser, started.publicUrl, `${started.publicUrl}${returnTo}`);
    const tokens = await openid.authorizationCodeGrant(config, left as URL, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()?.sub).toBe(String(user.userId));
  });

  it('signs a second app in with no password asked (SSO)', async () => {
    const { browser, user } = await personAtApp();
    const other = await appFor({ name: 'Billing' });
    const request = authorizationRequest(other.config);
    const { left, at } = await follow(browser, started.publicUrl, (await request.url()).href);
    expect(at).toBeUndefined();
    const tokens = await openid.authorizationCodeGrant(other.config, left as URL, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()?.sub).toBe(String(user.userId));
  });

  it('asks for the password again on prompt=login, and for a sign-in older than max_age', async () => {
    const { browser, config } = await personAtApp();
    for (const params of [{ prompt: 'login' }, { max_age: '1' }] as Record<string, string>[]) {
      if (params.max_age) await new Promise((resolve) => setTimeout(resolve, 2_100));
      const request = authorizationRequest(config, params);
      const stop = await follow(browser, started.publicUrl, (await request.url()).href);
      expect(stop.at, JSON.stringify(params)).toMatch(/^\/login\?return_to=.*&app=.*&prompt=login$/);
      expect(stop.page?.body).toContain('Sign in again to continue to Orders.');
    }
  });

  it('RP-initiated logout ends the Gatehouse session and the tokens issued through it', async () => {
    const { browser, config, tokens } = await personAtApp();
    const end = openid.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: appLogoutUri,
      state: 'bye',
    });
    const question = await browser.get(end.pathname + end.search, { host: new URL(started.publicUrl).host });
    expect(question.statusCode).toBe(200);
    expect(question.body).toContain('Orders</strong> asks to sign you out');
    expect(question.headers['content-security-policy']).toContain("default-src 'none'");
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(question.body)?.[1] as string;
    const confirmed = await browser.post(
      '/oidc/session/end/confirm',
      { xsrf, logout: 'yes' },
      {
        host: new URL(started.publicUrl).host,
      },
    );
    // A page that navigates on, not a redirect: the question's CSP (form-action 'self') would block one.
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.headers.refresh).toBe(`0;url=${appLogoutUri}?state=bye`);
    expect(await signedInAtGatehouse(browser)).toBe(false);
    await expect(openid.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('signing out of Gatehouse ends single sign-on and the refresh tokens of every app', async () => {
    const { browser, config, tokens } = await personAtApp();
    const account = await browser.get('/account');
    const signedOut = await browser.post('/logout', { _csrf: csrfOf(account.body) });
    expect(signedOut.statusCode).toBe(303);
    await expect(openid.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const request = authorizationRequest(config);
    const stop = await follow(browser, started.publicUrl, (await request.url()).href);
    expect(stop.at).toMatch(/^\/login\?/);
  });
});

describe('consent', () => {
  it('asks the person before a third-party app gets anything, once; a no reaches the app as access_denied', async () => {
    const user = await createVerifiedUser(started.test);
    const { config } = await appFor({ name: 'Partner', firstParty: false });
    const browser = await signedInBrowser(started.test, user.email);

    const refused = authorizationRequest(config);
    const asked = await follow(browser, started.publicUrl, (await refused.url()).href);
    expect(asked.at).toMatch(/^\/oidc\/interaction\//);
    expect(asked.page?.body).toContain('Allow Partner?');
    expect(asked.page?.body).toContain('Your email address');
    const no = await browser.post(asked.at as string, { _csrf: csrfOf(asked.page?.body ?? ''), decision: 'deny' });
    const deniedAt = (
      await follow(browser, started.publicUrl, new URL(String(no.headers.refresh).slice(6), started.publicUrl).href)
    ).left;
    expect(deniedAt?.searchParams.get('error')).toBe('access_denied');

    const allowed = authorizationRequest(config);
    const again = await follow(browser, started.publicUrl, (await allowed.url()).href);
    const yes = await browser.post(again.at as string, { _csrf: csrfOf(again.page?.body ?? ''), decision: 'allow' });
    const { left } = await follow(
      browser,
      started.publicUrl,
      new URL(String(yes.headers.refresh).slice(6), started.publicUrl).href,
    );
    const tokens = await openid.authorizationCodeGrant(config, left as URL, {
      pkceCodeVerifier: allowed.verifier,
      expectedState: allowed.state,
      expectedNonce: allowed.nonce,
    });
    expect(tokens.claims()?.sub).toBe(String(user.userId));

    // Granted once: the next sign-in goes straight through.
    const third = authorizationRequest(config);
    expect((await follow(browser, started.publicUrl, (await third.url()).href)).left).toBeDefined();
  });
});

describe('machine clients', () => {
  it('issue an access token for the client credentials grant, introspectable, with no user', async () => {
    const { config, client } = await appFor({
      grantTypes: ['client_credentials'],
      redirectUris: [],
      scopes: ['roles'],
    });
    const tokens = await openid.clientCredentialsGrant(config);
    expect(tokens.access_token).toBeDefined();
    expect(tokens.refresh_token).toBeUndefined();
    const info = await openid.tokenIntrospection(config, tokens.access_token);
    expect(info).toMatchObject({ active: true, client_id: client.clientId });
    expect(info.sub).toBeUndefined();
  });
});
