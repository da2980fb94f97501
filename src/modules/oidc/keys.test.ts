import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createVerifiedUser } from '../../../test/helpers.js';
import {
  gatehouseForThisFile,
  registerClient,
  relyingParty,
  signedInBrowser,
  signInAtApp,
} from '../../../test/openid-harness.js';

const started = gatehouseForThisFile();
afterEach(() => vi.useRealTimers());

const kidsOf = async (issuer: string) =>
  ((await (await fetch(`${issuer}/jwks`)).json()) as { keys: Array<{ kid: string; alg: string }> }).keys;

/** Moves the clock (Date only: the database and sockets keep their timers) forward by `seconds`. */
function later(seconds: number) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + seconds * 1000);
}

describe('signing key rotation', () => {
  it('signs with the new keys after a rotation, and publishes the old ones until their ID tokens expire', async () => {
    const { test, issuer, publicUrl } = started;
    const user = await createVerifiedUser(test);
    const client = await registerClient(test);
    const config = await relyingParty(issuer, client);
    const browser = await signedInBrowser(test, user.email);
    const before = await signInAtApp(browser, publicUrl, config);
    const oldKids = (await kidsOf(issuer)).map((key) => key.kid);
    expect(oldKids).toHaveLength(2);

    const newKids = await test.services.openid.rotateKeys();
    // Another instance (or this one) notices within a minute.
    later(61);
    const published = (await kidsOf(issuer)).map((key) => key.kid);
    expect(published.sort()).toEqual([...oldKids, ...newKids].sort());

    const after = await signInAtApp(browser, publicUrl, config);
    expect(newKids).toContain(decodeProtectedHeader(after.tokens.id_token as string).kid);
    // The ID token signed before the rotation still verifies.
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    await expect(
      jwtVerify(before.tokens.id_token as string, jwks, { issuer, currentDate: new Date() }),
    ).resolves.toBeDefined();

    // An hour after the rotation (and the two minutes other instances may take to notice it), nothing the
    // old keys signed is alive: they are no longer published.
    later(3_700);
    expect((await kidsOf(issuer)).map((key) => key.kid).sort()).toEqual([...newKids].sort());
  });
});
