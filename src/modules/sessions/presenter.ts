import type { SessionRow } from './repository.js';

export function presentSession(session: SessionRow, currentSessionId: string) {
  return {
    id: session.id,
    deviceId: session.deviceId,
    deviceName: session.deviceName,
    platform: session.platform,
    appVersion: session.appVersion,
    userAgent: session.userAgent,
    ipAddress: session.ipAddress,
    country: session.country,
    city: session.city,
    createdAt: session.createdAt.toISOString(),
    lastActiveAt: session.lastActiveAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    current: session.id === currentSessionId,
  };
}
