import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomUUID,
} from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { signingKeys } from '../db/schema.js';
import type { Clock } from './clock.js';
import type { Secrets } from './secrets.js';

/** An Ed25519 public key as published in the JWKS. */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: string;
  use: string;
}

export interface SigningKey {
  kid: string;
  publicJwk: PublicJwk;
  // node:crypto keys: signing and verifying with them is synchronous, so token checks never queue behind argon2 in the thread pool.
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const algorithm = 'EdDSA';
const encryptionPurpose = 'signing-key';
// Serializes first-start key creation across instances sharing one database.
const keyCreationLockId = 7_411_003;

/**
 * Loads the active Ed25519 keys, creating the first one on first start. Private
 * keys are stored encrypted with a key derived from APP_SECRET.
 */
export async function loadSigningKeys(db: Database, secrets: Secrets, clock: Clock): Promise<SigningKey[]> {
  let rows = await selectActive(db);
  if (rows.length === 0) {
    await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${keyCreationLockId})`);
      if ((await selectActive(tx)).length > 0) return;
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const kid = randomUUID();
      await tx.insert(signingKeys).values({
        kid,
        algorithm,
        publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: algorithm, use: 'sig' },
        privateJwkEncrypted: secrets.encrypt(encryptionPurpose, JSON.stringify(privateKey.export({ format: 'jwk' }))),
        createdAt: clock.now(),
      });
    });
    rows = await selectActive(db);
  }
  return rows.map((row) => {
    const privateJson = secrets.decrypt(encryptionPurpose, row.privateJwkEncrypted);
    if (!privateJson) {
      throw new Error(`Signing key ${row.kid} cannot be decrypted: APP_SECRET differs from the one that created it`);
    }
    const publicJwk = row.publicJwk as PublicJwk;
    return {
      kid: row.kid,
      publicJwk,
      privateKey: createPrivateKey({ key: JSON.parse(privateJson) as JsonWebKey, format: 'jwk' }),
      publicKey: createPublicKey({ key: publicJwk as unknown as JsonWebKey, format: 'jwk' }),
    };
  });
}

function selectActive(db: Database) {
  return db
    .select()
    .from(signingKeys)
    .where(and(eq(signingKeys.purpose, 'access_token'), isNull(signingKeys.retiredAt)))
    .orderBy(asc(signingKeys.createdAt));
}
