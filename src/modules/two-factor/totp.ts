import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

const periodSeconds = 30;

function totpFor(secretBase32: string, label = 'account') {
  return new TOTP({
    issuer: 'Gatehouse',
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: periodSeconds,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** 160 bits, as RFC 4226 recommends; base32 for authenticator apps. */
export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export async function describeTotpSecret(secretBase32: string, accountLabel: string) {
  const otpauthUri = totpFor(secretBase32, accountLabel).toString();
  const svg = await QRCode.toString(otpauthUri, { type: 'svg', margin: 1 });
  return {
    secret: secretBase32,
    otpauthUri,
    qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
  };
}

/**
 * The time step the code belongs to, accepting one step of clock drift either
 * way (RFC 6238 section 5.2), or null. Callers refuse a step already used.
 */
export function matchTotpStep(secretBase32: string, code: string, now: Date): number | null {
  const delta = totpFor(secretBase32).validate({ token: code, timestamp: now.getTime(), window: 1 });
  if (delta === null) return null;
  return Math.floor(now.getTime() / 1000 / periodSeconds) + delta;
}
