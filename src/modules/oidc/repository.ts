import { and, asc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { oidcClients, oidcModels, oidcSessionLinks } from '../../db/schema.js';
import { preparedOnFirstUse, timestamptz } from '../../db/sql.js';

export type ClientRow = typeof oidcClients.$inferSelect;
export type NewClientRow = typeof oidcClients.$inferInsert;
export type ModelRow = typeof oidcModels.$inferSelect;

/** The kinds an opaque token presented to the provider may be: its value alone does not say which. */
export const tokenKinds = ['AccessToken', 'ClientCredentials', 'RefreshToken'];

const sessionWithLink = (db: Database) =>
  db
    .select({ model: oidcModels, linkedSessionId: oidcSessionLinks.sessionId })
    .from(oidcModels)
    .leftJoin(oidcSessionLinks, eq(oidcSessionLinks.uid, oidcModels.uid));

export interface SessionModelRow {
  model: ModelRow;
  linkedSessionId: string | null;
}

// The statements of the provider's requests (its client, the code, token or session it names, what it
// stores and marks used), prepared: parsed and planned once per connection, and built once here rather
// than on every call.
function prepareStatements(db: Database) {
  const byKindAndId = and(eq(oidcModels.kind, sql.placeholder('kind')), eq(oidcModels.id, sql.placeholder('id')));
  const unexpired = or(isNull(oidcModels.expiresAt), gt(oidcModels.expiresAt, sql.placeholder('now')));
  return {
    findClient: db
      .select()
      .from(oidcClients)
      .where(eq(oidcClients.clientId, sql.placeholder('clientId')))
      .prepare('gatehouse_oidc_find_client'),
    findModel: db.select().from(oidcModels).where(and(byKindAndId, unexpired)).prepare('gatehouse_oidc_find_model'),
    findToken: db
      .select()
      .from(oidcModels)
      .where(and(inArray(oidcModels.kind, tokenKinds), eq(oidcModels.id, sql.placeholder('id')), unexpired))
      .prepare('gatehouse_oidc_find_token'),
    // A provider session with the Gatehouse session it was signed in with, by its id (the cookie) or uid.
    findSession: sessionWithLink(db)
      .where(and(eq(oidcModels.kind, 'Session'), eq(oidcModels.id, sql.placeholder('id')), unexpired))
      .prepare('gatehouse_oidc_find_session'),
    findSessionByUid: sessionWithLink(db)
      .where(and(eq(oidcModels.kind, 'Session'), eq(oidcModels.uid, sql.placeholder('uid')), unexpired))
      .prepare('gatehouse_oidc_find_session_by_uid'),
    upsertModel: db
      .insert(oidcModels)
      .values({
        kind: sql.placeholder('kind'),
        id: sql.placeholder('id'),
        payload: sql.placeholder('payload'),
        grantId: sql.placeholder('grantId'),
        uid: sql.placeholder('uid'),
        expiresAt: sql.placeholder('expiresAt'),
        consumedAt: null,
      })
      .onConflictDoUpdate({
        target: [oidcModels.kind, oidcModels.id],
        set: {
          payload: sql.raw('excluded.payload'),
          grantId: sql.raw('excluded.grant_id'),
          uid: sql.raw('excluded.uid'),
          expiresAt: sql.raw('excluded.expires_at'),
        },
      })
      .prepare('gatehouse_oidc_upsert_model'),
    consumeModel: db
      .update(oidcModels)
      .set({ consumedAt: sql`${sql.placeholder('now')}::timestamptz` })
      .where(and(byKindAndId, isNull(oidcModels.consumedAt)))
      .returning({ id: oidcModels.id })
      .prepare('gatehouse_oidc_consume_model'),
    findLinkedSession: db
      .select({ sessionId: oidcSessionLinks.sessionId })
      .from(oidcSessionLinks)
      .where(eq(oidcSessionLinks.uid, sql.placeholder('uid')))
      .prepare('gatehouse_oidc_find_linked_session'),
  };
}

/** Storage of the OpenID provider: its clients, its objects (see the adapter) and the session links. */
export function createOidcRepository(db: Database) {
  const prepared = preparedOnFirstUse(() => prepareStatements(db));

  return {
    listClients(): Promise<ClientRow[]> {
      return db.select().from(oidcClients).orderBy(asc(oidcClients.createdAt));
    },

    async findClient(clientId: string): Promise<ClientRow | null> {
      const [row] = await prepared().findClient.execute({ clientId });
      return row ?? null;
    },

    async insertClient(client: NewClientRow): Promise<ClientRow> {
      const [row] = await db.insert(oidcClients).values(client).returning();
      if (!row) throw new Error('client insert returned nothing');
      return row;
    },

    async updateClient(clientId: string, changes: Partial<NewClientRow>): Promise<ClientRow | null> {
      const [row] = await db.update(oidcClients).set(changes).where(eq(oidcClients.clientId, clientId)).returning();
      return row ?? null;
    },

    /** Removes the client and everything issued to it (codes, tokens, grants carry its id in the payload). */
    async deleteClient(clientId: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const deleted = await tx
          .delete(oidcClients)
          .where(eq(oidcClients.clientId, clientId))
          .returning({ clientId: oidcClients.clientId });
        if (deleted.length === 0) return false;
        await tx.delete(oidcModels).where(sql`${oidcModels.payload}->>'clientId' = ${clientId}`);
        return true;
      });
    },

    async upsertModel(row: Omit<ModelRow, 'consumedAt'>): Promise<void> {
      await prepared().upsertModel.execute(row);
    },

    async findModel(kind: string, id: string, now: Date): Promise<ModelRow | null> {
      const [row] = await prepared().findModel.execute({ kind, id, now });
      return row ?? null;
    },

    /** The unexpired tokens of any kind with this (hashed) id: one row, unless ids ever collided. */
    async findTokenModels(id: string, now: Date): Promise<ModelRow[]> {
      return prepared().findToken.execute({ id, now });
    },

    async findSession(id: string, now: Date): Promise<SessionModelRow | null> {
      const [row] = await prepared().findSession.execute({ id, now });
      return row ?? null;
    },

    async findSessionByUid(uid: string, now: Date): Promise<SessionModelRow | null> {
      const [row] = await prepared().findSessionByUid.execute({ uid, now });
      return row ?? null;
    },

    /**
     * Marks a code or token used, and says whether this call was the one that did: of two requests that
     * read it unused at the same moment, only one may go on.
     */
    async consumeModel(kind: string, id: string, now: Date): Promise<boolean> {
      const marked = await prepared().consumeModel.execute({ kind, id, now: now.toISOString() });
      return marked.length > 0;
    },

    async destroyModel(kind: string, id: string): Promise<void> {
      await db.delete(oidcModels).where(and(eq(oidcModels.kind, kind), eq(oidcModels.id, id)));
    },

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.delete(oidcModels).where(eq(oidcModels.grantId, grantId));
    },

    /** Objects past their expiry, and the links of provider sessions that are gone. */
    async deleteExpired(now: Date): Promise<void> {
      await db.delete(oidcModels).where(lt(oidcModels.expiresAt, now));
      // A provider session is re-saved under a new id on each sign-in (delete, then insert): a link is
      // swept only well after its session row went, never in between.
      const settled = new Date(now.getTime() - 3_600_000);
      await db.execute(sql`delete from ${oidcSessionLinks} l where l.created_at < ${timestamptz(settled)}
        and not exists (select 1 from ${oidcModels} m where m.kind = 'Session' and m.uid = l.uid)`);
    },

    async linkSession(uid: string, sessionId: string, now: Date): Promise<void> {
      await db
        .insert(oidcSessionLinks)
        .values({ uid, sessionId, createdAt: now })
        .onConflictDoUpdate({ target: oidcSessionLinks.uid, set: { sessionId, createdAt: now } });
    },

    async findLinkedSession(uid: string): Promise<string | null> {
      const [row] = await prepared().findLinkedSession.execute({ uid });
      return row?.sessionId ?? null;
    },
  };
}

export type OidcRepository = ReturnType<typeof createOidcRepository>;
