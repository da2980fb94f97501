import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane. */
export const productionArgon2: Argon2Parameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a hash that cannot be parsed. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** True when a hash was made with other parameters and should be replaced on the next login. */
  needsRehash(passwordHash: string): boolean;
  /** Burns the same time as a real verify, for accounts that do not exist. */
  decoyVerify(password: string): Promise<void>;
}

export async function createPasswordHasher(parameters: Argon2Parameters = productionArgon2): Promise<PasswordHasher> {
  // 2 is Algorithm.Argon2id; the package ships it as a const enum TypeScript cannot import here.
  const options = { algorithm: 2 as const, ...parameters };
  const prefix = `$argon2id$v=19$m=${parameters.memoryCost},t=${parameters.timeCost},p=${parameters.parallelism}$`;
  // A real hash of a random string, so a decoy verify costs exactly what a real one does.
  const decoyHash = await hash(crypto.randomUUID(), options);

  // At most one hash per core at a time: more would not finish sooner, but would fill the
  // libuv pool the token checks also use and starve the event loop (measured in bench/).
  const limit = createLimiter(availableParallelism());
  return {
    hash: (password) => limit(() => hash(password, options)),
    async verify(passwordHash, password) {
      try {
        return await limit(() => verify(passwordHash, password));
      } catch {
        return false;
      }
    },
    needsRehash: (passwordHash) => !passwordHash.startsWith(prefix),
    async decoyVerify(password) {
      await limit(() => verify(decoyHash, password)).catch(() => false);
    },
  };
}

/** Runs at most `concurrency` tasks at once, the rest in arrival order. */
function createLimiter(concurrency: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async function limit<T>(task: () => Promise<T>): Promise<T> {
    if (running < concurrency) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so the count never overshoots.
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

export const passwordMinLength = 8;
export const passwordMaxLength = 128;

export type PasswordProblem = 'PASSWORD_TOO_COMMON';

/**
 * NIST 800-63B: length limits (enforced by the request schemas) and a
 * blocklist of common passwords; no composition rules.
 */
export interface PasswordPolicy {
  check(password: string): PasswordProblem | null;
}

export function createPasswordPolicy(): PasswordPolicy {
  const common = new Set(
    (dictionary['passwords-common'] as string[])
      .filter((word) => word.length >= passwordMinLength)
      .map((word) => word.toLowerCase()),
  );
  return {
    check: (password) => (common.has(password.toLowerCase()) ? 'PASSWORD_TOO_COMMON' : null),
  };
}
