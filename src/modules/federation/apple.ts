import { createPrivateKey, type KeyObject, sign } from 'node:crypto';

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * Apple's client secret is not a fixed string but a short ES256 JWT signed
 * with the team's Sign in with Apple key. Made afresh for every token
 * request (synchronously, as client authentication must be), valid 5 minutes.
 */
export function createAppleClientSecret(
  apple: { teamId: string; keyId: string; privateKey: string },
  clientId: string,
) {
  let key: KeyObject | undefined;
  return (now: Date): string => {
    key ??= createPrivateKey(apple.privateKey);
    const issuedAt = Math.floor(now.getTime() / 1000);
    const header = base64url(JSON.stringify({ alg: 'ES256', kid: apple.keyId, typ: 'JWT' }));
    const payload = base64url(
      JSON.stringify({
        iss: apple.teamId,
        iat: issuedAt,
        exp: issuedAt + 300,
        aud: 'https://appleid.apple.com',
        sub: clientId,
      }),
    );
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${base64url(signature)}`;
  };
}
