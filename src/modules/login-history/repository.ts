import type { Database } from '../../db/database.js';
import { loginEvents } from '../../db/schema.js';

export type LoginMethod = 'password' | 'verify_email' | 'otp' | 'mfa';

export interface LoginEvent {
  userId: number | null;
  method: LoginMethod;
  success: boolean;
  failureReason?: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  deviceId?: string | null;
  deviceName?: string | null;
  platform?: string | null;
  country?: string | null;
  city?: string | null;
  flags?: string[];
  sessionId?: string | null;
  createdAt: Date;
}

export function createLoginHistoryRepository(db: Database) {
  return {
    async insertLoginEvent(event: LoginEvent): Promise<void> {
      await db.insert(loginEvents).values(event);
    },
  };
}

export type LoginHistoryRepository = ReturnType<typeof createLoginHistoryRepository>;
