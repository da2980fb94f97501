import { randomUUID, sign, verify } from 'node:crypto';
import { setBounded } from './bounded-map.js';
import type { PublicJwk, SigningKey } from './signing-keys.js';

export interface AccessTokenClaims {
  userId: number;
  sessionId: string;
}

export interface AccessTokens {
  sign(claims: AccessTokenClaims, issuedAt: Date): string;
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
  /** Verified tokens remembered so a repeat skips the signature check; 0 checks every time. */
  verifiedCacheSize: number;
}

interface Verified extends AccessTokenClaims {
  kid: string;
  expiresAtMs: number;
  notBeforeMs: number;
}

// RFC 9068: a distinct `typ` keeps ID tokens or other JWTs from being accepted as access tokens.
const tokenType = 'at+jwt';
const algorithm = 'EdDSA';
const reloadIntervalMs = 10_000;
// Our tokens are about 330 characters; anything far longer is not one of them.
const maxTokenLength = 2048;
const compactJws = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{86})$/;
const headerMembers = new Set(['alg', 'kid', 'typ']);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const userIdPattern = /^[1-9][0-9]{0,9}$/;

const encodeJson = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decodeJson(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * EdDSA (Ed25519) access tokens as compact JWS, signed and checked with
 * node:crypto's synchronous calls: WebCrypto would put every check on the
 * libuv pool, behind the argon2 hashes of concurrent logins. The checks are
 * those of RFC 8725: one algorithm, a known key id, an exact `typ`, no
 * header members we do not understand, and iss, aud, exp, nbf, sub, sid.
 */
export function createAccessTokens(initialKeys: SigningKey[], options: AccessTokenOptions): AccessTokens {
  let keys = new Map(initialKeys.map((key) => [key.kid, key]));
  let signingKey = initialKeys.at(-1);
  let lastReloadAt = 0;
  const verified = new Map<string, Verified>();

  async function keyFor(kid: string): Promise<SigningKey | null> {
    const known = keys.get(kid);
    if (known) return known;
    if (Date.now() - lastReloadAt <= reloadIntervalMs) return null;
    lastReloadAt = Date.now();
    const fresh = await options.reloadKeys();
    keys = new Map(fresh.map((key) => [key.kid, key]));
    signingKey = fresh.at(-1);
    // A retired key's tokens must stop working even if they were seen before.
    verified.clear();
    return keys.get(kid) ?? null;
  }

  function claimsOf(payload: Record<string, unknown>, nowMs: number): Omit<Verified, 'kid'> | null {
    const { iss, aud, sub, sid, exp, iat, nbf } = payload;
    if (iss !== options.issuer) return null;
    if (aud !== options.audience && !(Array.isArray(aud) && aud.includes(options.audience))) return null;
    if (typeof exp !== 'number' || typeof iat !== 'number') return null;
    if (nbf !== undefined && typeof nbf !== 'number') return null;
    // Strict shapes: anything else would reach the database as a malformed id.
    if (typeof sub !== 'string' || !userIdPattern.test(sub) || Number(sub) > 2_147_483_647) return null;
    if (typeof sid !== 'string' || !uuidPattern.test(sid)) return null;
    const claims = { userId: Number(sub), sessionId: sid, expiresAtMs: exp * 1000, notBeforeMs: (nbf ?? 0) * 1000 };
    return isCurrent(claims, nowMs) ? claims : null;
  }

  const isCurrent = (claims: { expiresAtMs: number; notBeforeMs: number }, nowMs: number) =>
    nowMs < claims.expiresAtMs && nowMs >= claims.notBeforeMs;

  return {
    sign({ userId, sessionId }, issuedAt) {
      if (!signingKey) throw new Error('No signing key loaded');
      const issuedAtSeconds = Math.floor(issuedAt.getTime() / 1000);
      const header = encodeJson({ alg: algorithm, kid: signingKey.kid, typ: tokenType });
      const payload = encodeJson({
        sid: sessionId,
        sub: String(userId),
        iss: options.issuer,
        aud: options.audience,
        iat: issuedAtSeconds,
        exp: issuedAtSeconds + options.ttlSeconds,
        jti: randomUUID(),
      });
      const signingInput = `${header}.${payload}`;
      return `${signingInput}.${sign(null, Buffer.from(signingInput), signingKey.privateKey).toString('base64url')}`;
    },

    async verify(token) {
      const nowMs = options.now().getTime();
      const seen = verified.get(token);
      // The key check too: a verify in flight across a key reload may store a token of a retired key.
      if (seen)
        return keys.has(seen.kid) && isCurrent(seen, nowMs) ? { userId: seen.userId, sessionId: seen.sessionId } : null;

      if (token.length > maxTokenLength) return null;
      const parts = compactJws.exec(token);
      if (!parts) return null;
      const [, headerSegment = '', payloadSegment = '', signatureSegment = ''] = parts;
      const header = decodeJson(headerSegment);
      if (!header || header.alg !== algorithm || header.typ !== tokenType || typeof header.kid !== 'string')
        return null;
      // `crit`, `b64`, `jku`, `x5u`...: members we do not act on are refused, not ignored.
      if (Object.keys(header).some((member) => !headerMembers.has(member))) return null;
      const key = await keyFor(header.kid);
      if (!key) return null;
      const signature = Buffer.from(signatureSegment, 'base64url');
      if (!verify(null, Buffer.from(`${headerSegment}.${payloadSegment}`), key.publicKey, signature)) return null;
      const payload = decodeJson(payloadSegment);
      const claims = payload ? claimsOf(payload, nowMs) : null;
      if (!claims) return null;
      if (options.verifiedCacheSize > 0)
        setBounded(verified, token, { ...claims, kid: key.kid }, options.verifiedCacheSize);
      return { userId: claims.userId, sessionId: claims.sessionId };
    },

    jwks: () => ({ keys: [...keys.values()].map((key) => key.publicJwk) }),
  };
}
