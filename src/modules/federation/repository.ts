import { and, asc, count, eq, gt, isNull, lt } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { federatedIdentities, identityProviders, oauthCodes, oauthFlows, users } from '../../db/schema.js';

export type IdentityRow = typeof federatedIdentities.$inferSelect;
export type FlowRow = typeof oauthFlows.$inferSelect;
export type CodeRow = typeof oauthCodes.$inferSelect;
export type ProviderRow = typeof identityProviders.$inferSelect;
export type NewProviderRow = typeof identityProviders.$inferInsert;

export function createFederationRepository(db: Database) {
  return {
    async findIdentity(provider: string, subject: string): Promise<IdentityRow | null> {
      const [row] = await db
        .select()
        .from(federatedIdentities)
        .where(and(eq(federatedIdentities.provider, provider), eq(federatedIdentities.subject, subject)));
      return row ?? null;
    },

    /** Null when the identity is already linked (to anyone): the unique index decides between concurrent links. */
    async insertIdentity(identity: typeof federatedIdentities.$inferInsert): Promise<IdentityRow | null> {
      const [row] = await db.insert(federatedIdentities).values(identity).onConflictDoNothing().returning();
      return row ?? null;
    },

    async recordIdentityUse(id: string, email: string | null, usedAt: Date): Promise<void> {
      await db.update(federatedIdentities).set({ email, lastUsedAt: usedAt }).where(eq(federatedIdentities.id, id));
    },

    listIdentities(userId: number): Promise<IdentityRow[]> {
      return db
        .select()
        .from(federatedIdentities)
        .where(eq(federatedIdentities.userId, userId))
        .orderBy(asc(federatedIdentities.createdAt));
    },

    async countIdentities(userId: number): Promise<number> {
      const [row] = await db
        .select({ value: count() })
        .from(federatedIdentities)
        .where(eq(federatedIdentities.userId, userId));
      return row?.value ?? 0;
    },

    async countIdentitiesOf(provider: string): Promise<number> {
      return db.$count(federatedIdentities, eq(federatedIdentities.provider, provider));
    },

    async deleteIdentity(id: string, userId: number): Promise<IdentityRow | null> {
      const [row] = await db
        .delete(federatedIdentities)
        .where(and(eq(federatedIdentities.id, id), eq(federatedIdentities.userId, userId)))
        .returning();
      return row ?? null;
    },

    /**
     * An unverified account taken by the owner of its address (proved by the
     * provider): a password someone else may have chosen before them goes.
     */
    async claimUnverifiedAccount(userId: number, now: Date): Promise<boolean> {
      const rows = await db
        .update(users)
        .set({ emailVerifiedAt: now, passwordHash: null, updatedAt: now })
        .where(and(eq(users.id, userId), isNull(users.emailVerifiedAt)))
        .returning({ id: users.id });
      return rows.length === 1;
    },

    async insertFlow(flow: FlowRow): Promise<void> {
      await db.insert(oauthFlows).values(flow);
    },

    /** Single use: the row goes as it is read, so a replayed callback finds nothing. */
    async takeFlow(stateHash: string, now: Date): Promise<FlowRow | null> {
      const [row] = await db
        .delete(oauthFlows)
        .where(and(eq(oauthFlows.stateHash, stateHash), gt(oauthFlows.expiresAt, now)))
        .returning();
      return row ?? null;
    },

    async insertCode(code: typeof oauthCodes.$inferInsert): Promise<void> {
      await db.insert(oauthCodes).values(code);
    },

    /** Single use: of two concurrent redemptions only one gets the row. */
    async consumeCode(codeHash: string, purpose: string, now: Date): Promise<CodeRow | null> {
      const [row] = await db
        .update(oauthCodes)
        .set({ consumedAt: now })
        .where(
          and(
            eq(oauthCodes.codeHash, codeHash),
            eq(oauthCodes.purpose, purpose),
            isNull(oauthCodes.consumedAt),
            gt(oauthCodes.expiresAt, now),
          ),
        )
        .returning();
      return row ?? null;
    },

    /**
     * Notes a native ID token as used until it expires; false when it was already (the primary key
     * decides, so of two concurrent uses only one gets `true`).
     */
    async recordIdTokenUse(use: {
      tokenHash: string;
      userId: number;
      provider: string;
      expiresAt: Date;
      now: Date;
    }): Promise<boolean> {
      const { tokenHash, userId, provider, expiresAt, now } = use;
      const rows = await db
        .insert(oauthCodes)
        .values({
          codeHash: tokenHash,
          purpose: 'id_token',
          userId,
          provider,
          createdAt: now,
          expiresAt,
          consumedAt: now,
        })
        .onConflictDoNothing()
        .returning({ codeHash: oauthCodes.codeHash });
      return rows.length === 1;
    },

    /** Abandoned redirects and spent codes. */
    async deleteExpired(now: Date): Promise<void> {
      await db.delete(oauthFlows).where(lt(oauthFlows.expiresAt, now));
      await db.delete(oauthCodes).where(lt(oauthCodes.expiresAt, now));
    },

    listProviders(): Promise<ProviderRow[]> {
      return db.select().from(identityProviders).orderBy(asc(identityProviders.createdAt));
    },

    async findProvider(id: string): Promise<ProviderRow | null> {
      const [row] = await db.select().from(identityProviders).where(eq(identityProviders.id, id));
      return row ?? null;
    },

    /** Null when the id is taken. */
    async insertProvider(provider: NewProviderRow): Promise<ProviderRow | null> {
      const [row] = await db.insert(identityProviders).values(provider).onConflictDoNothing().returning();
      return row ?? null;
    },

    async updateProvider(id: string, changes: Partial<NewProviderRow>): Promise<ProviderRow | null> {
      const [row] = await db.update(identityProviders).set(changes).where(eq(identityProviders.id, id)).returning();
      return row ?? null;
    },

    /** The provider and its linked identities, in one transaction; null when there is no such provider. */
    deleteProviderAndIdentities(id: string): Promise<number | null> {
      return db.transaction(async (tx) => {
        const rows = await tx
          .delete(identityProviders)
          .where(eq(identityProviders.id, id))
          .returning({ id: identityProviders.id });
        if (rows.length === 0) return null;
        const identities = await tx
          .delete(federatedIdentities)
          .where(eq(federatedIdentities.provider, id))
          .returning({ id: federatedIdentities.id });
        return identities.length;
      });
    },
  };
}

export type FederationRepository = ReturnType<typeof createFederationRepository>;
