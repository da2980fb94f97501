import { createHmac, randomUUID, sign } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKeys, type PublicJwk, type SigningKey } from '../src/platform/signing-keys.js';
import { buildTestApp, createVerifiedUser, expectError, get, type TestApp } from './helpers.js';

let test: TestApp;
let signingKey: SigningKey;
let alice: Awaited<ReturnType<typeof createVerifiedUser>>;
let bob: Awaited<ReturnType<typeof createVerifiedUser>>;

beforeAll(async () => {
  test = await buildTestApp();
  // The server's own private key, so claims other than the signature can be got wrong on purpose.
  const keys = await loadSigningKeys(test.db, test.platform.secrets, test.clock);
  const key = keys.at(-1);
  if (!key) throw new Error('the test app has no signing key');
  signingKey = key;
  alice = await createVerifiedUser(test);
  bob = await createVerifiedUser(test);
});
afterAll(() => test.close());

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

function profile(authorization?: string) {
  return test.app.inject({
    method: 'GET',
    url: '/auth/profile',
    headers: authorization === undefined ? {} : { authorization },
  });
}

async function expectRefused(token: string) {
  expectError(await profile(`Bearer ${token}`), 401, 'UNAUTHORIZED');
}

/** Claims exactly as the server issues them for alice's session, now. */
function validClaims(): JWTPayload {
  const nowSeconds = Math.floor(test.clock.now().getTime() / 1000);
  return {
    sub: String(alice.userId),
    sid: alice.sessionId,
    iss: 'gatehouse',
    aud: 'gatehouse',
    iat: nowSeconds,
    exp: nowSeconds + 3600,
    jti: randomUUID(),
  };
}

/** Signs with the server's real key, with whatever header and claims the test wants. */
function signWithServerKey(claims: JWTPayload, header: Record<string, unknown> = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: signingKey.kid, typ: 'at+jwt', ...header })
    .sign(signingKey.privateKey);
}

async function publishedKey(): Promise<PublicJwk> {
  const jwks = (await get(test.app, '/.well-known/jwks.json')).json() as { keys: PublicJwk[] };
  const key = jwks.keys.find((candidate) => candidate.kid === signingKey.kid);
  if (!key) throw new Error('the signing key is not published');
  return key;
}

function hs256Token(secret: Buffer | string, claims: JWTPayload, kid: string) {
  const signingInput = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid }))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

describe('GET /auth/profile with a genuine token', () => {
  it('answers 200 for the token the server issued, and for a token signed like it', async () => {
    const response = await profile(`Bearer ${alice.accessToken}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: alice.userId, email: alice.email });
    // Proves the helpers below build tokens the server accepts, so their refusals are about the one flaw each.
    const selfSigned = await profile(`Bearer ${await signWithServerKey(validClaims())}`);
    expect(selfSigned.statusCode).toBe(200);
    expect(selfSigned.json().id).toBe(alice.userId);
  });
});

describe('GET /auth/profile refuses with 401 UNAUTHORIZED', () => {
  it('no Authorization header', async () => {
    expectError(await profile(), 401, 'UNAUTHORIZED');
  });

  it.each([
    ['an empty header', ''],
    ['"Bearer" alone', 'Bearer'],
    ['"Bearer " with nothing after it', 'Bearer '],
    ['garbage after Bearer', 'Bearer garbage'],
    ['three garbage segments', 'Bearer aaa.bbb.ccc'],
    ['characters outside the token alphabet', 'Bearer <script>alert(1)</script>'],
    ['a 10 KB token', `Bearer ${'a'.repeat(10_000)}`],
    ['the real token twice', 'Bearer TOKEN TOKEN'],
  ])('%s', async (_name, header) => {
    expectError(await profile(header.replaceAll('TOKEN', alice.accessToken)), 401, 'UNAUTHORIZED');
  });

  it('the "Basic" scheme with the right email and password', async () => {
    const credentials = Buffer.from(`${alice.email}:correct horse battery staple`).toString('base64');
    expectError(await profile(`Basic ${credentials}`), 401, 'UNAUTHORIZED');
  });

  it('the real token under the "Basic" scheme', async () => {
    expectError(await profile(`Basic ${alice.accessToken}`), 401, 'UNAUTHORIZED');
  });

  it('alg "none" with a valid-looking payload and the real kid', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      const header = base64url(JSON.stringify({ alg, typ: 'at+jwt', kid: signingKey.kid }));
      const payload = base64url(JSON.stringify(validClaims()));
      await expectRefused(`${header}.${payload}.`);
    }
  });

  it('a real token whose payload names another user, signature kept', async () => {
    const [header, payload, signature] = alice.accessToken.split('.');
    const claims = decodeJwt(alice.accessToken);
    expect(claims.sub).toBe(String(alice.userId));
    const tampered = base64url(JSON.stringify({ ...claims, sub: String(bob.userId), sid: bob.sessionId }));
    expect(tampered).not.toBe(payload);
    await expectRefused(`${header}.${tampered}.${signature}`);
    // Only the sub changed, the sid still alice's.
    await expectRefused(`${header}.${base64url(JSON.stringify({ ...claims, sub: String(bob.userId) }))}.${signature}`);
  });

  it('a real token with its expiry pushed forward, signature kept', async () => {
    const [header, , signature] = alice.accessToken.split('.');
    const claims = decodeJwt(alice.accessToken);
    const extended = base64url(JSON.stringify({ ...claims, exp: (claims.exp ?? 0) + 365 * 24 * 3600 }));
    await expectRefused(`${header}.${extended}.${signature}`);
  });

  it('a token signed with a freshly generated Ed25519 key carrying the real kid', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    expect(decodeProtectedHeader(alice.accessToken).kid).toBe(signingKey.kid);
    const forged = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'EdDSA', kid: signingKey.kid, typ: 'at+jwt' })
      .sign(privateKey);
    await expectRefused(forged);
  });

  it('a token with an unknown kid', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const unknownKid = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'EdDSA', kid: randomUUID(), typ: 'at+jwt' })
      .sign(privateKey);
    await expectRefused(unknownKid);
  });

  it('an HS256 token keyed with the server public key: raw bytes, the x string, the JWK JSON', async () => {
    const jwk = await publishedKey();
    for (const secret of [Buffer.from(jwk.x, 'base64url'), jwk.x, JSON.stringify(jwk)]) {
      await expectRefused(hs256Token(secret, validClaims(), jwk.kid));
    }
  });

  it('typ "JWT" instead of "at+jwt", or no typ at all', async () => {
    await expectRefused(await signWithServerKey(validClaims(), { typ: 'JWT' }));
    await expectRefused(await signWithServerKey(validClaims(), { typ: undefined }));
  });

  it('a header member the server does not act on (crit, jku, b64)', async () => {
    // By hand: jose itself will not sign a `crit` it does not know.
    const header = { alg: 'EdDSA', kid: signingKey.kid, typ: 'at+jwt' };
    const signedAs = (extra: Record<string, unknown>) => {
      const input = `${base64url(JSON.stringify({ ...header, ...extra }))}.${base64url(JSON.stringify(validClaims()))}`;
      return `${input}.${sign(null, Buffer.from(input), signingKey.privateKey).toString('base64url')}`;
    };
    // The same construction without extras is accepted, so each refusal is about its member.
    expect((await profile(`Bearer ${signedAs({})}`)).statusCode).toBe(200);
    await expectRefused(signedAs({ crit: ['exp'] }));
    await expectRefused(signedAs({ jku: 'https://evil.example.com/jwks.json' }));
    await expectRefused(signedAs({ b64: false, crit: ['b64'] }));
  });

  it('a token not valid yet (nbf in the future)', async () => {
    const nowSeconds = Math.floor(test.clock.now().getTime() / 1000);
    await expectRefused(await signWithServerKey({ ...validClaims(), nbf: nowSeconds + 600 }));
  });

  it('a wrong issuer', async () => {
    await expectRefused(await signWithServerKey({ ...validClaims(), iss: 'https://evil.example.com' }));
  });

  it('a wrong audience', async () => {
    await expectRefused(await signWithServerKey({ ...validClaims(), aud: 'some-other-service' }));
    await expectRefused(await signWithServerKey({ ...validClaims(), aud: ['some-other-service'] }));
  });

  it('no sid, or a sid that is not a string', async () => {
    const { sid: _sid, ...withoutSid } = validClaims();
    await expectRefused(await signWithServerKey(withoutSid));
    await expectRefused(await signWithServerKey({ ...validClaims(), sid: 12345 }));
  });

  it('an expired token', async () => {
    const nowSeconds = Math.floor(test.clock.now().getTime() / 1000);
    await expectRefused(await signWithServerKey({ ...validClaims(), iat: nowSeconds - 7200, exp: nowSeconds - 60 }));
  });

  it('no exp', async () => {
    const { exp: _exp, ...withoutExp } = validClaims();
    await expectRefused(await signWithServerKey(withoutExp));
  });

  it.each([
    ['zero', '0'],
    ['negative', '-1'],
    ['a fraction', '1.5'],
    ['a word', 'admin'],
    ['beyond safe integers', '9007199254740993'],
    ['an empty string', ''],
  ])('a sub that is not a positive integer: %s', async (_name, sub) => {
    await expectRefused(await signWithServerKey({ ...validClaims(), sub }));
  });

  // Only the server's key can sign these, so this is defence in depth: `sub` is exactly the
  // decimal id the server writes, not anything Number() happens to read as that id.
  it("a sub that only loosely reads as alice's id", async () => {
    const id = alice.userId;
    const spellings: Record<string, unknown> = {
      'a JSON number': id,
      'a decimal fraction': `${id}.0`,
      'a leading plus': `+${id}`,
      'a leading zero': `0${id}`,
      'surrounding spaces': ` ${id} `,
      hexadecimal: `0x${id.toString(16)}`,
      'an exponent': `${id}e0`,
    };
    const statuses: Record<string, number> = {};
    for (const [name, sub] of Object.entries(spellings)) {
      statuses[name] = (
        await profile(`Bearer ${await signWithServerKey({ ...validClaims(), sub: sub as string })}`)
      ).statusCode;
    }
    expect(statuses).toEqual(Object.fromEntries(Object.keys(spellings).map((name) => [name, 401])));
  });

  it('the sid of a session that does not exist', async () => {
    await expectRefused(await signWithServerKey({ ...validClaims(), sid: randomUUID() }));
  });

  it('a sid that is not a UUID (never a 500)', async () => {
    const sids = ['not-a-uuid', `${randomUUID()}x`, "' or '1'='1", ''];
    const answers: Record<string, { status: number; code: string }> = {};
    for (const sid of sids) {
      const response = await profile(`Bearer ${await signWithServerKey({ ...validClaims(), sid })}`);
      answers[sid] = { status: response.statusCode, code: response.json().code };
    }
    expect(answers).toEqual(Object.fromEntries(sids.map((sid) => [sid, { status: 401, code: 'UNAUTHORIZED' }])));
  });

  it("a correctly signed token pairing bob's id with alice's session", async () => {
    await expectRefused(await signWithServerKey({ ...validClaims(), sub: String(bob.userId) }));
  });

  it('a refresh token used as a bearer token', async () => {
    await expectRefused(alice.refreshToken);
  });

  it('after all of the above, the genuine tokens still work', async () => {
    expect((await profile(`Bearer ${alice.accessToken}`)).statusCode).toBe(200);
    expect((await profile(`Bearer ${bob.accessToken}`)).json().id).toBe(bob.userId);
  });

  it('a token accepted (and remembered) before is refused once it expires', async () => {
    const nowSeconds = Math.floor(test.clock.now().getTime() / 1000);
    const shortLived = await signWithServerKey({ ...validClaims(), exp: nowSeconds + 30 });
    expect((await profile(`Bearer ${shortLived}`)).statusCode).toBe(200);
    expect((await profile(`Bearer ${shortLived}`)).statusCode).toBe(200);
    test.clock.advanceSeconds(31);
    await expectRefused(shortLived);
  });
});
