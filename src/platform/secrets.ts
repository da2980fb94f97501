import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * Keys derived from APP_SECRET, one per purpose (HKDF), so a key used to MAC
 * one-time codes can never decrypt a signing key and vice versa.
 */
export interface Secrets {
  /** HMAC-SHA256, hex, keyed for `purpose`. */
  mac(purpose: string, message: string): string;
  encrypt(purpose: string, plaintext: string): string;
  /** Returns null when the ciphertext was not produced with this secret. */
  decrypt(purpose: string, ciphertext: string): string | null;
}

export function createSecrets(appSecret: string): Secrets {
  const cache = new Map<string, Buffer>();
  const keyFor = (purpose: string): Buffer => {
    let key = cache.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', appSecret, 'gatehouse', purpose, 32));
      cache.set(purpose, key);
    }
    return key;
  };

  return {
    mac: (purpose, message) =>
      createHmac('sha256', keyFor(`mac:${purpose}`))
        .update(message)
        .digest('hex'),
    encrypt(purpose, plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyFor(`enc:${purpose}`), iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        'v1',
        iv.toString('base64url'),
        body.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
      ].join('.');
    },
    decrypt(purpose, ciphertext) {
      const [version, iv, body, tag] = ciphertext.split('.');
      if (version !== 'v1' || !iv || !body || !tag) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyFor(`enc:${purpose}`), Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
  };
}

/** 256 bits from the CSPRNG, URL-safe: refresh tokens, reset tokens, MFA tokens. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
