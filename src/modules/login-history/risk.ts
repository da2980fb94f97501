import type { DeviceInfo } from '../../core/client.js';
import type { SignInFlag } from '../../core/sign-in.js';
import type { Clock } from '../../platform/clock.js';
import { distanceKm, type GeoLocation } from '../../platform/geoip.js';
import type { DeviceService } from '../devices/service.js';
import type { LoginHistoryRepository } from './repository.js';

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
