import { AppError, type ErrorCode } from '../errors.js';

// What a person reads when the service refuses: the API's `code` picks the sentence.
const sentences: Partial<Record<ErrorCode, string>> = {
  INVALID_CREDENTIALS: 'That email and password do not match. Check both and try again.',
  EMAIL_NOT_VERIFIED: 'Confirm your email address before signing in: enter the code we sent you.',
  DEVICE_BLOCKED: 'Signing in from this browser has been blocked. Contact your administrator.',
  TOO_MANY_REQUESTS: 'Too many attempts in a short time. Wait a minute, then try again.',
  OTP_INVALID: 'That code is not right. Check it, or ask for a new one.',
  OTP_EXPIRED: 'That code has expired. Ask for a new one.',
  OTP_ATTEMPTS_EXCEEDED: 'Too many wrong codes. Ask for a new code.',
  PASSWORD_TOO_COMMON: 'This password is too common. Choose one that is harder to guess.',
  RESET_TOKEN_INVALID: 'This reset link is not valid or was already used. Ask for a new one below.',
  RESET_TOKEN_EXPIRED: 'This reset link has expired. Ask for a new one below.',
  MFA_CODE_INVALID: 'That code is not right. Check your authenticator app or message, and try again.',
  MFA_TOKEN_INVALID: 'Signing in took too long. Start again with your password.',
  MFA_LOCKED: 'Too many wrong codes. Wait 15 minutes, then try again.',
  INVALID_PASSWORD: 'Your current password is not right.',
  TWO_FACTOR_ALREADY_ENABLED: 'Two-factor authentication with this method is already on.',
  TWO_FACTOR_NOT_ENABLED: 'Two-factor authentication is not on.',
  TWO_FACTOR_NOT_PENDING: 'Start setting up the authenticator app again.',
  PHONE_NUMBER_MISSING: 'Add a phone number first.',
  PHONE_NOT_VERIFIED: 'Verify your phone number first.',
  PHONE_TAKEN: 'This phone number is verified on another account.',
  PHONE_USED_FOR_TWO_FACTOR: 'Turn off SMS two-factor authentication before changing your phone number.',
  LAST_SUPER_ADMIN: 'You are the last administrator who can sign in, so this account cannot be deleted.',
  SESSION_NOT_FOUND: 'That session has already ended.',
  PASSKEY_CHALLENGE_INVALID: 'That took too long. Try the passkey again.',
  PASSKEY_INVALID: 'That passkey is not registered for an account here, or could not be checked. Sign in another way.',
  PASSKEY_CLONE_DETECTED:
    'This passkey looks like a copy and was refused. Sign in another way and check your passkeys.',
  PASSKEY_REGISTRATION_FAILED: 'The passkey could not be added. Try again.',
  PASSKEY_NOT_FOUND: 'That passkey is already gone.',
  DEVICE_NOT_FOUND: 'That device is not on the blacklist (any more).',
  REAUTHENTICATION_REQUIRED: 'Enter your password first: you signed in more than 5 minutes ago.',
  OAUTH_STATE_INVALID: 'That sign-in took too long or was started in another browser. Start again.',
  OAUTH_CALLBACK_FAILED: 'The provider did not complete the sign-in. Try again, or sign in another way.',
  PROVIDER_NOT_FOUND: 'That way of signing in is not available here.',
  FEDERATED_EMAIL_UNVERIFIED:
    'The provider did not confirm your email address, so we cannot tell whose account this is. Sign in with your password, then link it from your account page.',
  IDENTITY_TAKEN: 'That identity is already linked to another account here.',
  LAST_SIGN_IN_METHOD:
    'This is your last way to sign in. Set a password (on the Password tab) or add a passkey before removing it.',
  IDENTITY_NOT_FOUND: 'That linked identity is already gone.',
  CLIENT_NOT_FOUND: 'That app is already gone.',
  CLIENT_NOT_CONFIDENTIAL: 'A public app has no secret.',
};

function minutes(seconds: number): string {
  const count = Math.max(1, Math.ceil(seconds / 60));
  return `${count} minute${count === 1 ? '' : 's'}`;
}

/** The sentence for a refusal, with how long to wait when the service said so. */
export function sentenceFor(error: AppError): string {
  if (error.code === 'ACCOUNT_LOCKED') {
    return error.retryAfterSeconds
      ? `This account is locked for now. Try again in ${minutes(error.retryAfterSeconds)}, or reset your password.`
      : 'This account is locked. Contact your administrator.';
  }
  if (error.code === 'TOO_MANY_REQUESTS' && error.retryAfterSeconds) {
    return `Too many attempts in a short time. Try again in ${minutes(error.retryAfterSeconds)}.`;
  }
  if (error.code === 'PROVIDER_UNAVAILABLE') {
    // The message names the provider (and its issuer), which is what an operator needs to see.
    return `${error.message}. Try again in a moment, or sign in another way.`;
  }
  return sentences[error.code] ?? error.message;
}

/** Runs `work`; a refusal from a service becomes its sentence (and status), anything else is thrown on. */
export async function attempt<T>(
  work: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: AppError; sentence: string }> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error, sentence: sentenceFor(error) };
    throw error;
  }
}
