import { randomUUID } from 'node:crypto';
import { errors, type JWTHeaderParameters, jwtVerify, SignJWT } from 'jose';
import type { PublicJwk, SigningKey } from './signing-keys.js';

export interface AccessTokenClaims {
  userId: number;
  sessionId: string;
}

export interface AccessTokens {
  sign(claims: AccessTokenClaims, issuedAt: Date): Promise<string>;
  /** Null for anything that is not a valid, unexpired token of ours; never throws. */
  verify(token: string): Promise<AccessTokenClaims | null>;
  jwks(): { keys: PublicJwk[] };
}

export interface AccessTokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Re-reads keys from storage; called when a token names a kid this instance has not seen (rotation on another instance). */
  reloadKeys: () => Promise<SigningKey[]>;
  now: () => Date;
}

// RFC 9068: a distinct `typ` keeps ID tokens or other JWTs from being accepted as access tokens.
const tokenType = 'at+jwt';
const reloadIntervalMs = 10_000;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createAccessTokens(initialKeys: SigningKey[], options: AccessTokenOptions): AccessTokens {
  let keys = new Map(initialKeys.map((key) => [key.kid, key]));
  let signingKey = initialKeys.at(-1);
  let lastReloadAt = 0;

  const keyFor = async (header: JWTHeaderParameters) => {
    const known = header.kid ? keys.get(header.kid) : undefined;
    if (known) return known.publicKey;
    if (header.kid && Date.now() - lastReloadAt > reloadIntervalMs) {
      lastReloadAt = Date.now();
      const fresh = await options.reloadKeys();
      keys = new Map(fresh.map((key) => [key.kid, key]));
      signingKey = fresh.at(-1);
      const found = keys.get(header.kid);
      if (found) return found.publicKey;
    }
    throw new errors.JWKSNoMatchingKey();
  };

  return {
    async sign({ userId, sessionId }, issuedAt) {
      if (!signingKey) throw new Error('No signing key loaded');
      const issuedAtSeconds = Math.floor(issuedAt.getTime() / 1000);
      return new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: 'EdDSA', kid: signingKey.kid, typ: tokenType })
        .setSubject(String(userId))
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(issuedAtSeconds)
        .setExpirationTime(issuedAtSeconds + options.ttlSeconds)
        .setJti(randomUUID())
        .sign(signingKey.privateKey);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keyFor, {
          algorithms: ['EdDSA'],
          issuer: options.issuer,
          audience: options.audience,
          typ: tokenType,
          currentDate: options.now(),
          requiredClaims: ['sub', 'sid', 'exp', 'iat'],
        });
        // Strict shapes: anything else would reach the database as a malformed id.
        if (typeof payload.sub !== 'string' || !/^[1-9][0-9]{0,9}$/.test(payload.sub)) return null;
        if (typeof payload.sid !== 'string' || !uuidPattern.test(payload.sid)) return null;
        const userId = Number(payload.sub);
        if (userId > 2_147_483_647) return null;
        return { userId, sessionId: payload.sid };
      } catch {
        return null;
      }
    },
    jwks: () => ({ keys: [...keys.values()].map((key) => key.publicJwk) }),
  };
}
