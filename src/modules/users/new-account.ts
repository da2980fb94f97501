import { AppError } from '../../errors.js';
import type { PasswordHasher, PasswordPolicy } from '../../platform/password.js';
import { normalizeEmail } from './email.js';
import type { NewUser } from './repository.js';

/** What a person (sign-up) or an administrator gives to open an account. */
export interface AccountRequest {
  email: string;
  password: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  accountType?: string | undefined;
}

/**
 * The row of a new account, written the same way whoever opens it: the
 * address normalized, the password checked against the policy and hashed,
 * names trimmed. `emailVerifiedAt` is the opener's business (an
 * administrator vouches for the address; a sign-up proves it later).
 */
export async function newAccount(
  request: AccountRequest,
  { hasher, passwordPolicy }: { hasher: PasswordHasher; passwordPolicy: PasswordPolicy },
  { createdAt, emailVerifiedAt }: { createdAt: Date; emailVerifiedAt: Date | null },
): Promise<NewUser> {
  if (passwordPolicy.check(request.password)) throw new AppError('PASSWORD_TOO_COMMON');
  return {
    email: normalizeEmail(request.email),
    passwordHash: await hasher.hash(request.password),
    firstName: request.firstName?.trim() ?? null,
    lastName: request.lastName?.trim() ?? null,
    accountType: request.accountType ?? 'INDIVIDUAL',
    emailVerifiedAt,
    createdAt,
  };
}
