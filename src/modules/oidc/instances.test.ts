import { sql } from 'drizzle-orm';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { csrfOf } from '../../../test/form-browser.js';
import { buildOtherInstance, createVerifiedUser } from '../../../test/helpers.js';
import {
  authorizationRequest,
  follow,
  freePort,
  registerClient,
  relyingParty,
  signedInBrowser,
  startListening,
} from '../../../test/openid-harness.js';

// Two Gatehouse instances behind one address, sharing only the database (PostgreSQL when
// TEST_DATABASE_URL is set, as in production): what one issued, the other honours.

let first: Awaited<ReturnType<typeof startListening>>;
let second: Awaited<ReturnType<typeof buildOtherInstance>>;
let secondUrl: string;

beforeAll(async () => {
  first = await startListening();
  second = await buildOtherInstance(first.test, { PUBLIC_URL: first.publicUrl });
  const port = await freePort();
  await second.app.listen({ port, host: '127.0.0.1' });
  secondUrl = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await second.close();
  await first.test.close();
});

/** The relying party as it would be behind a load balancer that sends its back-channel calls to the second instance. */
async function relyingPartyOnSecond(client: Awaited<ReturnType<typeof registerClient>>) {
  const config = await relyingParty(first.issuer, client);
  config[openid.customFetch] = (url, options) => fetch(url.replace(first.publicUrl, secondUrl), options);
  return config;
}

describe('two instances on one database', () => {
  it('redeems at one instance the code the other issued, refreshes at either, and both see a sign-out', async () => {
    const { test, publicUrl } = first;
    const user = await createVerifiedUser(test);
    const client = await registerClient(test);
    const onSecond = await relyingPartyOnSecond(client);
    const onFirst = await relyingParty(first.issuer, client);

    // The browser signs in and is given its code by the first instance...
    const browser = await signedInBrowser(test, user.email);
    const request = authorizationRequest(onSecond);
    const { left } = await follow(browser, publicUrl, (await request.url()).href);
    // ...which the second redeems.
    const tokens = await openid.authorizationCodeGrant(onSecond, left as URL, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()?.sub).toBe(String(user.userId));
    expect(tokens.claims()?.iss).toBe(first.issuer);

    // A refresh token rotated at the first, its predecessor refused at the second.
    const rotated = await openid.refreshTokenGrant(onFirst, tokens.refresh_token as string);
    await expect(openid.refreshTokenGrant(onSecond, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // Reuse revoked the grant everywhere.
    await expect(openid.refreshTokenGrant(onFirst, rotated.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });

    // Userinfo at the second for an access token issued by the first.
    const again = authorizationRequest(onFirst);
    const back = await follow(browser, publicUrl, (await again.url()).href);
    const fresh = await openid.authorizationCodeGrant(onFirst, back.left as URL, {
      pkceCodeVerifier: again.verifier,
      expectedState: again.state,
      expectedNonce: again.nonce,
    });
    const info = await openid.fetchUserInfo(onSecond, fresh.access_token, String(user.userId));
    expect(info.sub).toBe(String(user.userId));

    // Signing out on the first instance's pages ends the tokens at the second.
    const account = await browser.get('/account');
    expect((await browser.post('/logout', { _csrf: csrfOf(account.body) })).statusCode).toBe(303);
    await expect(openid.refreshTokenGrant(onSecond, fresh.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it("stops honouring at one instance a client's secret replaced, or a client removed, at the other", async () => {
    const machine = await registerClient(first.test, {
      name: 'Reports',
      redirectUris: [],
      postLogoutRedirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['roles'],
    });
    const tokenAtSecond = (secret: string) =>
      fetch(`${secondUrl}/oidc/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${machine.clientId}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
    const oldSecret = machine.clientSecret as string;
    // The second instance now holds the client in memory.
    expect((await tokenAtSecond(oldSecret)).status).toBe(200);
    expect((await tokenAtSecond(oldSecret)).status).toBe(200);

    const admin = await createVerifiedUser(first.test);
    const { clientSecret: newSecret } = await first.test.services.oidcClients.rotateSecret(
      { userId: admin.userId },
      machine.clientId,
    );
    // The second hears of it from the database a few milliseconds after the commit.
    await vi.waitFor(async () => expect((await tokenAtSecond(oldSecret)).status).toBe(401), { timeout: 2_000 });
    expect((await tokenAtSecond(newSecret)).status).toBe(200);

    // An operator's change in SQL is announced the same way (the trigger, not the service).
    await first.test.platform.db.execute(sql`delete from oidc_clients where client_id = ${machine.clientId}`);
    await vi.waitFor(async () => expect((await tokenAtSecond(newSecret)).status).toBe(401), { timeout: 2_000 });
  });

  it('verifies at one instance the ID tokens the other signed (one key set)', async () => {
    const jwksFirst = await (await fetch(`${first.issuer}/jwks`)).json();
    const jwksSecond = await (await fetch(`${secondUrl}/oidc/jwks`)).json();
    expect(jwksSecond).toEqual(jwksFirst);
  });
});
