import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAppleClientSecret } from './apple.js';

describe("Apple's client secret", () => {
  it('is an ES256 JWT of the team, for the Services ID, that Apple can check with the key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const secret = createAppleClientSecret(
      { teamId: 'ABCDE12345', keyId: 'KEY1234567', privateKey: pem },
      'com.example.web',
    );
    const now = new Date();
    const jwt = secret(now);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: 'KEY1234567', typ: 'JWT' });
    const { payload } = await jwtVerify(jwt, publicKey, {
      issuer: 'ABCDE12345',
      audience: 'https://appleid.apple.com',
      subject: 'com.example.web',
      currentDate: now,
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);
  });
});
