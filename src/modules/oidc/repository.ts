import { and, asc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { oidcClients, oidcModels, oidcSessionLinks } from '../../db/schema.js';
import { timestamptz } from '../../db/sql.js';

export type ClientRow = typeof oidcClients.$inferSelect;
export type NewClientRow = typeof oidcClients.$inferInsert;
export type ModelRow = typeof oidcModels.$inferSelect;

/** Storage of the OpenID provider: its clients, its objects (see the adapter) and the session links. */
export function createOidcRepository(db: Database) {
  const unexpired = (now: Date) => or(isNull(oidcModels.expiresAt), gt(oidcModels.expiresAt, now));

  return {
    listClients(): Promise<ClientRow[]> {
      return db.select().from(oidcClients).orderBy(asc(oidcClients.createdAt));
    },

    async findClient(clientId: string): Promise<ClientRow | null> {
      const [row] = await db.select().from(oidcClients).where(eq(oidcClients.clientId, clientId));
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
      await db
        .insert(oidcModels)
        .values({ ...row, consumedAt: null })
        .onConflictDoUpdate({
          target: [oidcModels.kind, oidcModels.id],
          set: { payload: row.payload, grantId: row.grantId, uid: row.uid, expiresAt: row.expiresAt },
        });
    },

    async findModel(kind: string, id: string, now: Date): Promise<ModelRow | null> {
      const [row] = await db
        .select()
        .from(oidcModels)
        .where(and(eq(oidcModels.kind, kind), eq(oidcModels.id, id), unexpired(now)));
      return row ?? null;
    },

    async findModelByUid(kind: string, uid: string, now: Date): Promise<ModelRow | null> {
      const [row] = await db
        .select()
        .from(oidcModels)
        .where(and(eq(oidcModels.kind, kind), eq(oidcModels.uid, uid), unexpired(now)));
      return row ?? null;
    },

    /**
     * Marks a code or token used, and says whether this call was the one that did: of two requests that
     * read it unused at the same moment, only one may go on.
     */
    async consumeModel(kind: string, id: string, now: Date): Promise<boolean> {
      const marked = await db
        .update(oidcModels)
        .set({ consumedAt: now })
        .where(and(eq(oidcModels.kind, kind), eq(oidcModels.id, id), isNull(oidcModels.consumedAt)))
        .returning({ id: oidcModels.id });
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
      const [row] = await db
        .select({ sessionId: oidcSessionLinks.sessionId })
        .from(oidcSessionLinks)
        .where(eq(oidcSessionLinks.uid, uid));
      return row?.sessionId ?? null;
    },
  };
}

export type OidcRepository = ReturnType<typeof createOidcRepository>;
