import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createVerifiedUser,
  expectError,
  get,
  post,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';
import {
  startUpstreamProvider,
  type UpstreamProvider,
  upstreamClientId,
  upstreamClientSecret,
} from '../../../test/upstream-provider.js';

let upstream: UpstreamProvider;
let test: TestApp;

beforeAll(async () => {
  upstream = await startUpstreamProvider(['http://localhost:3999/auth/oauth/test/callback']);
  test = await buildTestApp({
    // ID tokens are dated by the system clock, so the check must be too.
    realClock: true,
    env: {
      PUBLIC_URL: 'http://localhost:3999',
      OIDC_TEST_ISSUER: upstream.issuer,
      OIDC_TEST_CLIENT_ID: upstreamClientId,
      OIDC_TEST_CLIENT_SECRET: upstreamClientSecret,
    },
  });
});

afterAll(async () => {
  await test.close();
  await upstream.close();
});

const exchange = (body: Record<string, unknown>) => post(test.app, '/auth/oauth/test/token', body);
let subjects = 0;
const claimsFor = (email = uniqueEmail('native')) => {
  subjects += 1;
  return { sub: `native-${subjects}`, email, email_verified: true };
};

describe('POST /auth/oauth/:provider/token (native apps)', () => {
  it("signs in with the provider's ID token, creating the account, and again into the same one", async () => {
    const claims = claimsFor();
    const first = await exchange({ idToken: await upstream.idToken(claims), deviceInfo: { deviceName: 'Pixel' } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ user: { email: claims.email, emailVerified: true }, tokenType: 'Bearer' });
    expect((await get(test.app, '/auth/profile', first.json().accessToken)).statusCode).toBe(200);
    const again = await exchange({ idToken: await upstream.idToken(claims) });
    expect(again.json().user.id).toBe(first.json().user.id);
  });

  it('checks the nonce: raw, or hashed as Apple sign-in on iOS sends it', async () => {
    const nonce = 'nonce-from-the-app-0123456789';
    const raw = await upstream.idToken({ ...claimsFor(), nonce });
    expect((await exchange({ idToken: raw, nonce })).statusCode).toBe(200);
    const hashed = await upstream.idToken({ ...claimsFor(), nonce: createHash('sha256').update(nonce).digest('hex') });
    expect((await exchange({ idToken: hashed, nonce })).statusCode).toBe(200);
    expectError(await exchange({ idToken: raw, nonce: 'another-nonce' }), 401, 'ID_TOKEN_INVALID');
    // A token made for a nonce cannot be replayed without it.
    expectError(await exchange({ idToken: raw }), 401, 'ID_TOKEN_INVALID');
  });

  it('refuses a token for another audience, an expired one, a forged one, and one from another issuer', async () => {
    const claims = claimsFor();
    expectError(
      await exchange({ idToken: await upstream.idToken({ ...claims, aud: 'some-other-app' }) }),
      401,
      'ID_TOKEN_INVALID',
    );
    const past = Math.floor(Date.now() / 1000) - 3600;
    expectError(
      await exchange({ idToken: await upstream.idToken({ ...claims, iat: past - 600, exp: past }) }),
      401,
      'ID_TOKEN_INVALID',
    );
    expectError(
      await exchange({ idToken: await upstream.idToken(claims, { key: 'forged' }) }),
      401,
      'ID_TOKEN_INVALID',
    );
    expectError(
      await exchange({ idToken: await upstream.idToken({ ...claims, iss: 'https://accounts.example' }) }),
      401,
      'ID_TOKEN_INVALID',
    );
    expectError(await exchange({ idToken: 'not.a.jwt' }), 401, 'ID_TOKEN_INVALID');
    expect(await test.services.repositories.users.findUserByEmail(claims.email)).toBeNull();
  });

  it('links by verified email only, and answers the second step of an account that has one', async () => {
    const owner = await createVerifiedUser(test);
    expectError(
      await exchange({ idToken: await upstream.idToken({ ...claimsFor(owner.email), email_verified: false }) }),
      403,
      'FEDERATED_EMAIL_UNVERIFIED',
    );
    const linked = await exchange({ idToken: await upstream.idToken(claimsFor(owner.email)) });
    expect(linked.json().user.id).toBe(owner.userId);
  });

  it('takes an ID token once: a replay is refused while it is still valid', async () => {
    const idToken = await upstream.idToken(claimsFor());
    expect((await exchange({ idToken })).statusCode).toBe(200);
    const replayed = await exchange({ idToken });
    expectError(replayed, 401, 'ID_TOKEN_INVALID');
    expect(replayed.json().message).toBe('This ID token was already used');
  });

  it('wants `azp` to be us when the token has several audiences', async () => {
    const claims = claimsFor();
    const several = { ...claims, aud: [upstreamClientId, 'another-api'] };
    expectError(await exchange({ idToken: await upstream.idToken(several) }), 401, 'ID_TOKEN_INVALID');
    expectError(
      await exchange({ idToken: await upstream.idToken({ ...several, azp: 'another-api' }) }),
      401,
      'ID_TOKEN_INVALID',
    );
    expect(
      (await exchange({ idToken: await upstream.idToken({ ...several, azp: upstreamClientId }) })).statusCode,
    ).toBe(200);
  });

  it('refuses bad input and unknown providers cleanly', async () => {
    expectError(await exchange({}), 400, 'VALIDATION_FAILED');
    expectError(await exchange({ idToken: 'x', extra: true }), 400, 'VALIDATION_FAILED');
    expectError(await post(test.app, '/auth/oauth/nope/token', { idToken: 'x' }), 404, 'PROVIDER_NOT_FOUND');
    expectError(await post(test.app, '/auth/oauth/NOPE/token', { idToken: 'x' }), 400, 'VALIDATION_FAILED');
  });
});
