import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { passwordResets } from '../../db/schema.js';

export type NewPasswordReset = typeof passwordResets.$inferInsert;

export function createPasswordResetRepository(db: Database) {
  return {
    /** The newest request voids every earlier one for the same user. */
    async replaceReset(reset: NewPasswordReset): Promise<void> {
      await db.transaction(async (tx) => {
        await tx
          .update(passwordResets)
          .set({ supersededAt: reset.createdAt })
          .where(
            and(
              eq(passwordResets.userId, reset.userId),
              isNull(passwordResets.usedAt),
              isNull(passwordResets.supersededAt),
            ),
          );
        await tx.insert(passwordResets).values(reset);
      });
    },

    async findResetByHash(tokenHash: string) {
      const [row] = await db.select().from(passwordResets).where(eq(passwordResets.tokenHash, tokenHash));
      return row ?? null;
    },

    /** Marks the token used; of two concurrent resets with one token only one gets `true`. */
    async claimReset(id: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(passwordResets)
        .set({ usedAt: now })
        .where(and(eq(passwordResets.id, id), isNull(passwordResets.usedAt), isNull(passwordResets.supersededAt)))
        .returning({ id: passwordResets.id });
      return rows.length === 1;
    },
  };
}

export type PasswordResetRepository = ReturnType<typeof createPasswordResetRepository>;
