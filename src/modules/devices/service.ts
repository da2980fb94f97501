import { randomUUID } from 'node:crypto';
import type { Actor, Principal } from '../../core/account.js';
import type { Transaction } from '../../core/transaction.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import { constantTimeEqual, type Secrets } from '../../platform/secrets.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { SessionRepository } from '../sessions/repository.js';
import type { DeviceRepository } from './repository.js';

interface Deps {
  devices: DeviceRepository;
  sessions: SessionRepository;
  transaction: Transaction<{ devices: DeviceRepository; sessions: SessionRepository }>;
  secrets: Secrets;
  audit: AuditRecorder;
  clock: Clock;
}

export function createDeviceService({ devices, sessions, transaction, secrets, audit, clock }: Deps) {
  const fingerprintHash = (userId: number, fingerprint: string) =>
    secrets.mac('device-fingerprint', `${userId}:${fingerprint}`);

  const present = (device: {
    deviceId: string;
    reason: string | null;
    createdByUserId: number | null;
    createdAt: Date;
  }) => ({
    deviceId: device.deviceId,
    reason: device.reason,
    createdByUserId: device.createdByUserId,
    createdAt: device.createdAt.toISOString(),
  });

  return {
    /** Refuses a blacklisted device; devices without an id cannot be matched and pass. */
    async assertAllowed(deviceId: string | null | undefined): Promise<void> {
      if (deviceId && (await devices.isBlacklisted(deviceId))) throw new AppError('DEVICE_BLOCKED');
    },

    async list() {
      return { devices: (await devices.listBlacklisted()).map(present) };
    },

    /** Blacklists the device and ends its live sessions at once, whoever they belong to. */
    async block(actor: Actor, input: { deviceId: string; reason?: string | undefined }) {
      const now = clock.now();
      const { device, endedSessions } = await transaction(async (bound) => {
        // The sign-in path takes the same lock, so no session can start between these two steps.
        await bound.devices.lockDevice(input.deviceId);
        const listed = await bound.devices.upsertBlacklisted({
          deviceId: input.deviceId,
          reason: input.reason ?? null,
          createdByUserId: actor.userId,
          createdAt: now,
        });
        const ended = await bound.sessions.revokeSessionsOfDevice(input.deviceId, now, 'device_blacklisted');
        return { device: listed, endedSessions: ended };
      });
      await audit.record('device.blacklisted', {
        actorUserId: actor.userId,
        details: { deviceId: input.deviceId, reason: input.reason ?? null, endedSessions },
      });
      return { device: present(device), endedSessions };
    },

    async unblock(actor: Actor, deviceId: string) {
      if (!(await devices.deleteBlacklisted(deviceId))) throw new AppError('DEVICE_NOT_FOUND');
      await audit.record('device.unblacklisted', { actorUserId: actor.userId, details: { deviceId } });
      return { message: `Device ${deviceId} removed from the blacklist` };
    },

    /** First call for the session's device saves the fingerprint; later calls compare with it. */
    async saveOrCompareFingerprint(principal: Principal, fingerprint: string) {
      const session = await sessions.findSession(principal.sessionId);
      const deviceKey = session?.deviceId ?? principal.sessionId;
      const hash = fingerprintHash(principal.userId, fingerprint);
      const now = clock.now();
      const saved = await devices.insertFingerprint({
        id: randomUUID(),
        userId: principal.userId,
        deviceKey,
        fingerprintHash: hash,
        createdAt: now,
        lastSeenAt: now,
      });
      if (saved) return { saved: true };
      const known = await devices.findFingerprint(principal.userId, deviceKey);
      return { saved: false, match: known !== null && constantTimeEqual(known.fingerprintHash, hash) };
    },

    /**
     * At sign-in: whether the fingerprint is new for this user (only when the
     * user has known devices), and remember it for the new session's device.
     */
    async checkSignInFingerprint(userId: number, fingerprint: string, deviceKey: string): Promise<boolean> {
      const hash = fingerprintHash(userId, fingerprint);
      const known = await devices.listFingerprintHashes(userId);
      const now = clock.now();
      const row = { userId, fingerprintHash: hash, createdAt: now, lastSeenAt: now };
      // The device's first fingerprint (what /auth/fingerprint compares with)...
      await devices.insertFingerprint({ ...row, id: randomUUID(), deviceKey });
      // ...and, whatever the device id, the fingerprint itself is known from now on.
      await devices.insertFingerprint({ ...row, id: randomUUID(), deviceKey: `seen:${hash}` });
      return known.length > 0 && !known.includes(hash);
    },
  };
}

export type DeviceService = ReturnType<typeof createDeviceService>;
