import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import type { Clock } from '../../platform/clock.js';
import { sha256Hex } from '../../platform/secrets.js';
import type { ClientCache } from './client-cache.js';
import { toClientMetadata } from './clients.js';
import { type ModelRow, type OidcRepository, type SessionModelRow, tokenKinds } from './repository.js';

interface Deps {
  oidc: OidcRepository;
  clients: ClientCache;
  clock: Clock;
  /** Whether the Gatehouse session behind a provider session is still live, for `accountId`. */
  sessionIsLive(sessionId: string, accountId: string): Promise<boolean>;
}

// Expired objects are ignored on read; the rows themselves are swept at most this often per instance.
const sweepIntervalMs = 60_000;

/**
 * oidc-provider's storage on our database (PGlite or PostgreSQL), so every
 * instance shares codes, tokens, grants and sessions. An object's id is a
 * bearer credential for most kinds (codes, tokens, the session cookie), so
 * only its SHA-256 is stored, and the copy the payload carries (`jti`) is
 * dropped on write and restored from the id presented on read.
 * A provider session with an account is returned only while the Gatehouse
 * session it was made from lives: that one rule ends single sign-on, and
 * (every token being bound to its session) the tokens issued through it.
 */
export function createAdapterClass({ oidc, clients, clock, sessionIsLive }: Deps) {
  let lastSweep = 0;
  let tokenReads: Map<string, Promise<ModelRow[]>> | undefined;

  /**
   * oidc-provider looks a token of unknown kind up as every kind it may be, all at once (introspection,
   * revocation): the lookups of one id started in the same synchronous step share one query. Only those:
   * a lookup started later reads afresh, so nothing is served from an earlier read.
   */
  function readToken(hashedId: string): Promise<ModelRow[]> {
    if (!tokenReads) {
      tokenReads = new Map();
      queueMicrotask(() => {
        tokenReads = undefined;
      });
    }
    let rows = tokenReads.get(hashedId);
    if (!rows) {
      rows = oidc.findTokenModels(hashedId, clock.now());
      tokenReads.set(hashedId, rows);
    }
    return rows;
  }

  async function sweep(): Promise<void> {
    const now = clock.now();
    if (now.getTime() - lastSweep < sweepIntervalMs) return;
    lastSweep = now.getTime();
    await oidc.deleteExpired(now);
  }

  /** What oidc-provider expects back: the stored payload with its id (`jti`) and when it was used. */
  function payloadOf(row: ModelRow, id: string | undefined): AdapterPayload {
    return {
      ...row.payload,
      ...(id === undefined ? {} : { jti: id }),
      ...(row.consumedAt ? { consumed: Math.floor(row.consumedAt.getTime() / 1000) } : {}),
    } as AdapterPayload;
  }

  /** A provider session with an account counts only while the Gatehouse session it was made from lives. */
  async function liveSession(found: SessionModelRow | null, id: string | undefined) {
    if (!found) return undefined;
    const payload = payloadOf(found.model, id);
    if (!payload.accountId) return payload;
    const { linkedSessionId } = found;
    return linkedSessionId && (await sessionIsLive(linkedSessionId, payload.accountId)) ? payload : undefined;
  }

  return class DatabaseAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const { jti: _jti, ...stored } = payload;
      // An interaction carries the browser's provider-session cookie; nothing reads it back, so it is not kept.
      if (stored.session && typeof stored.session === 'object') {
        const { cookie: _cookie, ...session } = stored.session as Record<string, unknown>;
        stored.session = session as AdapterPayload['session'];
      }
      await oidc.upsertModel({
        kind: this.kind,
        id: sha256Hex(id),
        payload: stored,
        grantId: payload.grantId ?? null,
        uid: payload.uid ?? null,
        expiresAt: expiresIn ? new Date(clock.now().getTime() + expiresIn * 1000) : null,
      });
      if (this.kind === 'Interaction') await sweep();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      // Clients are rows of oidc_clients, kept in memory until a change to one is announced (client-cache.ts).
      if (this.kind === 'Client') {
        const client = await clients.read(id, (clientId) => oidc.findClient(clientId));
        return client ? (toClientMetadata(client) as AdapterPayload) : undefined;
      }
      if (this.kind === 'Session') return liveSession(await oidc.findSession(sha256Hex(id), clock.now()), id);
      const row = tokenKinds.includes(this.kind)
        ? (await readToken(sha256Hex(id))).find((token) => token.kind === this.kind)
        : await oidc.findModel(this.kind, sha256Hex(id), clock.now());
      return row ? payloadOf(row, id) : undefined;
    }

    /** oidc-provider finds only sessions by uid. */
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      // The id is not known here; the session's own (hashed) id is all the payload lacks, and no caller reads it.
      return liveSession(await oidc.findSessionByUid(uid, clock.now()), undefined);
    }

    async findByUserCode(): Promise<AdapterPayload | undefined> {
      // The device flow is not enabled.
      return undefined;
    }

    /**
     * oidc-provider checks `consumed` on the copy it read before; a request that read the same code or
     * refresh token unused at the same moment as another loses here, so each is redeemed once.
     */
    async consume(id: string): Promise<void> {
      if (!(await oidc.consumeModel(this.kind, sha256Hex(id), clock.now()))) {
        throw new errors.InvalidGrant(`${this.kind} already used`);
      }
    }

    async destroy(id: string): Promise<void> {
      await oidc.destroyModel(this.kind, sha256Hex(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await oidc.revokeByGrantId(grantId);
    }
  };
}
