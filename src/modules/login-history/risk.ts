import type { Clock } from '../../platform/clock.js';
import { distanceKm, type GeoLocation } from '../../platform/geoip.js';
import type { OutgoingMessage } from '../../platform/mail-transport.js';
import type { DeviceService } from '../devices/service.js';
import type { DeviceInfo } from '../sessions/service.js';
import type { LoginHistoryRepository } from './repository.js';

export type SignInFlag = 'new_location' | 'impossible_travel' | 'new_device';

interface Deps {
  loginHistory: LoginHistoryRepository;
  devices: DeviceService;
  clock: Clock;
}

// Logto's defaults: a country unseen for 180 days, or faster than an airliner.
const countryMemoryDays = 180;
const maxPlausibleKmPerHour = 900;
// Below this, geo-IP imprecision (a city's ISPs) would look like travel.
const minTravelKm = 100;

/** The flags a successful sign-in raises, judged against the user's earlier ones. */
export async function assessSignIn(
  { loginHistory, devices, clock }: Deps,
  userId: number,
  location: GeoLocation | null,
  device: DeviceInfo,
  deviceKey: string,
): Promise<SignInFlag[]> {
  const flags: SignInFlag[] = [];
  const now = clock.now();
  if (location) {
    const since = new Date(now.getTime() - countryMemoryDays * 86_400_000);
    const countries = await loginHistory.findRecentCountries(userId, since);
    // A first located sign-in has nothing to compare with and raises nothing.
    if (countries.length > 0 && !countries.includes(location.country)) flags.push('new_location');
    const previous = await loginHistory.findLastLocatedSuccess(userId);
    if (previous?.latitude != null && previous.longitude != null) {
      const km = distanceKm({ latitude: previous.latitude, longitude: previous.longitude }, location);
      const hours = Math.max((now.getTime() - previous.createdAt.getTime()) / 3_600_000, 1 / 3600);
      if (km > minTravelKm && km / hours > maxPlausibleKmPerHour) flags.push('impossible_travel');
    }
  }
  if (device.fingerprint && (await devices.checkSignInFingerprint(userId, device.fingerprint, deviceKey))) {
    flags.push('new_device');
  }
  return flags;
}

const reasons: Record<SignInFlag, string> = {
  new_location: 'it came from a country we have not seen for your account recently',
  impossible_travel: 'it came from too far away to be reached since your previous sign-in',
  new_device: 'it came from a device we do not recognise',
};

export function signInAlertEmail(
  to: string,
  flags: SignInFlag[],
  when: Date,
  location: GeoLocation | null,
  device: DeviceInfo,
  ipAddress: string,
): OutgoingMessage {
  const place = location ? [location.city, location.country].filter(Boolean).join(', ') : 'unknown location';
  const deviceName = [device.deviceName, device.platform].filter(Boolean).join(' on ') || 'an unnamed device';
  return {
    to,
    subject: 'New sign-in to your account',
    text: [
      `Your account was signed in at ${when.toISOString()} from ${place} (${ipAddress}) on ${deviceName}.`,
      `We are telling you because ${flags.map((flag) => reasons[flag]).join(', and ')}.`,
      '',
      'If this was you, there is nothing to do.',
      'If it was not: change your password, sign out the devices you do not recognise (GET /auth/sessions, DELETE /auth/sessions/:id), and turn on two-factor authentication.',
    ].join('\n'),
  };
}

export function failuresBeforeSuccessEmail(
  to: string,
  failures: number,
  when: Date,
  ipAddress: string,
): OutgoingMessage {
  return {
    to,
    subject: 'Failed sign-in attempts before a successful sign-in',
    text: [
      `Your account was signed in at ${when.toISOString()} from ${ipAddress}, after ${failures} failed attempts with a wrong password.`,
      '',
      'If the failures were yours, there is nothing to do. If not, someone may be guessing your password: change it and turn on two-factor authentication.',
    ].join('\n'),
  };
}
