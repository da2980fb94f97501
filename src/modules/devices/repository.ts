import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { blacklistedDevices, deviceFingerprints } from '../../db/schema.js';

export type BlacklistedDevice = typeof blacklistedDevices.$inferSelect;

// First key of the two-key advisory lock; the second is a hash of the device id.
const deviceLockNamespace = 7_411_006;

export function createDeviceRepository(db: Database) {
  return {
    /**
     * Serializes sign-ins on a device with each other (so one device keeps one
     * live session) and with its blacklisting, until the transaction ends.
     */
    async lockDevice(deviceId: string): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(${deviceLockNamespace}, hashtext(${deviceId}))`);
    },

    async upsertBlacklisted(device: BlacklistedDevice): Promise<BlacklistedDevice> {
      const [row] = await db
        .insert(blacklistedDevices)
        .values(device)
        .onConflictDoUpdate({ target: blacklistedDevices.deviceId, set: { reason: device.reason } })
        .returning();
      return row ?? device;
    },

    async deleteBlacklisted(deviceId: string): Promise<boolean> {
      const rows = await db
        .delete(blacklistedDevices)
        .where(eq(blacklistedDevices.deviceId, deviceId))
        .returning({ deviceId: blacklistedDevices.deviceId });
      return rows.length === 1;
    },

    listBlacklisted(): Promise<BlacklistedDevice[]> {
      return db.select().from(blacklistedDevices).orderBy(asc(blacklistedDevices.createdAt));
    },

    async isBlacklisted(deviceId: string): Promise<boolean> {
      const [row] = await db
        .select({ deviceId: blacklistedDevices.deviceId })
        .from(blacklistedDevices)
        .where(eq(blacklistedDevices.deviceId, deviceId));
      return row !== undefined;
    },

    async findFingerprint(userId: number, deviceKey: string) {
      const [row] = await db
        .select()
        .from(deviceFingerprints)
        .where(and(eq(deviceFingerprints.userId, userId), eq(deviceFingerprints.deviceKey, deviceKey)));
      return row ?? null;
    },

    /** Saves the first fingerprint of a device; a concurrent second save keeps the first. */
    async insertFingerprint(row: typeof deviceFingerprints.$inferInsert): Promise<boolean> {
      const inserted = await db
        .insert(deviceFingerprints)
        .values(row)
        .onConflictDoNothing()
        .returning({ id: deviceFingerprints.id });
      return inserted.length === 1;
    },

    async listFingerprintHashes(userId: number): Promise<string[]> {
      const rows = await db
        .select({ hash: deviceFingerprints.fingerprintHash })
        .from(deviceFingerprints)
        .where(eq(deviceFingerprints.userId, userId));
      return rows.map((row) => row.hash);
    },
  };
}

export type DeviceRepository = ReturnType<typeof createDeviceRepository>;
