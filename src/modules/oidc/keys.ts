import { generateKeyPairSync, type JsonWebKey, randomUUID } from 'node:crypto';
import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { signingKeys } from '../../db/schema.js';
import type { Clock } from '../../platform/clock.js';
import type { Secrets } from '../../platform/secrets.js';

/** A private JWK as oidc-provider takes it. */
export type PrivateJwk = JsonWebKey & { kid: string; alg: string; use: 'sig' };

const purpose = 'oidc';
const encryptionPurpose = 'oidc-signing-key';
// Serializes first-start key creation (and rotation) across instances sharing one database.
const keyLockId = 7_411_014;

/**
 * RS256 because OpenID Connect requires it (every client library verifies
 * it), EdDSA for the clients that ask for it (`id_token_signed_response_alg`).
 */
function newKeyPair(createdAt: Date) {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed = generateKeyPairSync('ed25519');
  return [
    { algorithm: 'RS256', ...rsa },
    { algorithm: 'EdDSA', ...ed },
  ].map(({ algorithm, publicKey, privateKey }) => {
    const kid = randomUUID();
    return {
      kid,
      algorithm,
      purpose,
      publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: algorithm, use: 'sig' },
      privateJwk: privateKey.export({ format: 'jwk' }),
      createdAt,
    };
  });
}

/** The signing keys' ids as one comparable string: a change of it is a rotation. */
const kidsOf = (rows: Array<{ kid: string }>) =>
  rows
    .map((row) => row.kid)
    .sort()
    .join(',');

export function createOidcKeys({ db, secrets, clock }: { db: Database; secrets: Secrets; clock: Clock }) {
  async function insertPair(tx: Database): Promise<string[]> {
    const pair = newKeyPair(clock.now());
    await tx.insert(signingKeys).values(
      pair.map(({ privateJwk, ...key }) => ({
        ...key,
        privateJwkEncrypted: secrets.encrypt(encryptionPurpose, JSON.stringify(privateJwk)),
      })),
    );
    return pair.map((key) => key.kid);
  }

  function activeKeys(tx: Database) {
    return tx
      .select({ kid: signingKeys.kid })
      .from(signingKeys)
      .where(and(eq(signingKeys.purpose, purpose), isNull(signingKeys.retiredAt)));
  }

  return {
    /**
     * The keys to sign with (the current pair, first) and those retired less
     * than `retentionSeconds` ago, still published so that tokens they signed
     * verify until they expire. The first pair is made on first start.
     */
    async load(
      retentionSeconds: number,
    ): Promise<{ keys: PrivateJwk[]; signingKids: string; unpublishAt: number | null }> {
      if ((await activeKeys(db)).length === 0) {
        await db.transaction(async (tx) => {
          await tx.execute(sql`select pg_advisory_xact_lock(${keyLockId})`);
          if ((await activeKeys(tx)).length === 0) await insertPair(tx);
        });
      }
      const publishedSince = new Date(clock.now().getTime() - retentionSeconds * 1000);
      const rows = await db
        .select()
        .from(signingKeys)
        .where(
          and(
            eq(signingKeys.purpose, purpose),
            or(isNull(signingKeys.retiredAt), gt(signingKeys.retiredAt, publishedSince)),
          ),
        )
        .orderBy(sql`${signingKeys.retiredAt} is not null`, desc(signingKeys.createdAt));
      const keys = rows.map((row): PrivateJwk => {
        const json = secrets.decrypt(encryptionPurpose, row.privateJwkEncrypted);
        if (!json) {
          throw new Error(
            `OpenID signing key ${row.kid} cannot be decrypted: APP_SECRET differs from the one that made it`,
          );
        }
        return { ...(JSON.parse(json) as JsonWebKey), kid: row.kid, alg: row.algorithm, use: 'sig' };
      });
      // When the first retired key's tokens have all expired: it is then dropped from the published set.
      const retiredTimes = rows.flatMap((row) => (row.retiredAt ? [row.retiredAt.getTime()] : []));
      const unpublishAt = retiredTimes.length > 0 ? Math.min(...retiredTimes) + retentionSeconds * 1000 : null;
      // From the same rows as the keys: a rotation committed meanwhile is noticed at the next check.
      const signingKids = kidsOf(rows.filter((row) => row.retiredAt === null));
      return { keys, signingKids, unpublishAt };
    },

    /** Retires the current pair and makes a new one; returns the new key ids. */
    rotate(): Promise<string[]> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${keyLockId})`);
        await tx
          .update(signingKeys)
          .set({ retiredAt: clock.now() })
          .where(and(eq(signingKeys.purpose, purpose), isNull(signingKeys.retiredAt)));
        return insertPair(tx);
      });
    },

    /** The ids of the keys signing now, to notice a rotation made elsewhere (the CLI, another instance). */
    async currentKids(): Promise<string> {
      return kidsOf(await activeKeys(db));
    },
  };
}

export type OidcKeys = ReturnType<typeof createOidcKeys>;
