import { describe, expect, it } from 'vitest';
import { createGeoIp, distanceKm, isNonPublic } from './geoip.js';

describe('geo-IP', () => {
  it('treats loopback, private, link-local and shared ranges as having no place', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.1.1',
      '100.64.0.1',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
    ]) {
      expect(isNonPublic(ip)).toBe(true);
    }
    for (const ip of ['8.8.8.8', '81.2.69.142', '2001:4860:4860::8888', '::ffff:8.8.8.8']) {
      expect(isNonPublic(ip)).toBe(false);
    }
  });

  it('locates public addresses from the bundled data and never non-public ones', async () => {
    // A path that does not exist: non-public addresses must not even open a database.
    const unopened = createGeoIp('/nonexistent.mmdb');
    expect(await unopened.locate('192.168.1.1')).toBeNull();
    const geo = createGeoIp(undefined);
    expect(await geo.locate('81.2.69.142')).toMatchObject({ country: 'GB' });
    expect(await geo.locate('not an ip')).toBeNull();
  });

  it('measures great-circle distance', () => {
    const london = { latitude: 51.5, longitude: -0.12 };
    const newYork = { latitude: 40.71, longitude: -74.0 };
    expect(Math.round(distanceKm(london, newYork) / 10) * 10).toBe(5570);
  });
});
