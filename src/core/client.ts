/** Who is calling, as the HTTP layer saw it. */
export interface ClientContext {
  ipAddress: string;
  userAgent: string | null;
}

/** What an app tells about the device it signs in from (the seed's `deviceInfo`). */
export interface DeviceInfo {
  deviceName?: string | undefined;
  platform?: string | undefined;
  appVersion?: string | undefined;
  userAgent?: string | undefined;
  deviceId?: string | undefined;
  fingerprint?: string | undefined;
}
