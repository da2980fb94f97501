import { beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher, createPasswordPolicy, type PasswordHasher, productionArgon2 } from './password.js';

describe('createPasswordHasher with the production parameters', () => {
  let hasher: PasswordHasher;
  beforeAll(async () => {
    hasher = await createPasswordHasher();
  });

  // The one place the production cost is paid; every other test uses cheap parameters.
  it('hashes with argon2id, m=19456 KiB, t=2, p=1 and a random salt', async () => {
    expect(productionArgon2).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const first = await hasher.hash('a long unusual passphrase');
    const second = await hasher.hash('a long unusual passphrase');
    expect(first.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(second).not.toBe(first);
    expect(first).not.toContain('a long unusual passphrase');
    expect(hasher.needsRehash(first)).toBe(false);
  });

  it('verifies the right password and refuses a wrong one, without truncating', async () => {
    const long = `${'x'.repeat(100)}tail`;
    const stored = await hasher.hash(long);
    expect(await hasher.verify(stored, long)).toBe(true);
    expect(await hasher.verify(stored, `${'x'.repeat(100)}tall`)).toBe(false);
    expect(await hasher.verify(stored, 'x'.repeat(100))).toBe(false);
  });

  it('answers false, without throwing, for a hash it cannot parse', async () => {
    for (const malformed of [
      '',
      'not-a-hash',
      '$argon2id$v=19$m=19456,t=2,p=1$broken',
      '$2b$10$abcdefghijklmnopqrstuv',
    ]) {
      await expect(hasher.verify(malformed, 'a long unusual passphrase')).resolves.toBe(false);
    }
  });

  it('asks for a rehash of hashes made with other parameters', async () => {
    const cheap = await createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const old = await cheap.hash('a long unusual passphrase');
    expect(hasher.needsRehash(old)).toBe(true);
    // The old hash still verifies, so the rehash can happen at the next successful login.
    expect(await hasher.verify(old, 'a long unusual passphrase')).toBe(true);
    expect(cheap.needsRehash(old)).toBe(false);
  });

  it('a decoy verify completes for any password', async () => {
    await expect(hasher.decoyVerify('whatever the attacker typed')).resolves.toBeUndefined();
  });
});

describe('createPasswordPolicy', () => {
  const policy = createPasswordPolicy();

  it.each(['Password1', 'password1', 'PASSWORD1', 'qwertyuiop', 'QwertyUiop'])('rejects the common %s', (password) => {
    expect(policy.check(password)).toBe('PASSWORD_TOO_COMMON');
  });

  it.each(['SecurePass123!', 'correct horse battery staple', 'a long unusual passphrase'])(
    'accepts %s, with no composition rules',
    (password) => {
      expect(policy.check(password)).toBeNull();
    },
  );
});
