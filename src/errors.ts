import { STATUS_CODES } from 'node:http';

/**
 * Every error a client can receive: a stable `code`, its HTTP status and the
 * public message. `docs/errors.md` documents the same list, and a test keeps
 * the two in sync. Private detail (causes, ids) goes to the log, never here.
 */
export const errorCatalogue = {
  VALIDATION_FAILED: { statusCode: 400, message: 'Invalid input' },
  INVALID_URL: { statusCode: 400, message: 'The URL is not valid' },
  INVALID_JSON: { statusCode: 400, message: 'The request body is not valid JSON' },
  INVALID_EMAIL: { statusCode: 400, message: 'The email address is not valid' },
  PASSWORD_TOO_COMMON: { statusCode: 400, message: 'This password is too common; choose another' },
  OTP_INVALID: { statusCode: 400, message: 'The code is not valid' },
  OTP_EXPIRED: { statusCode: 400, message: 'The code has expired; request a new one' },
  OTP_ATTEMPTS_EXCEEDED: { statusCode: 400, message: 'Too many wrong attempts; request a new code' },
  RESET_TOKEN_INVALID: { statusCode: 400, message: 'The reset link is not valid or was already used' },
  RESET_TOKEN_EXPIRED: { statusCode: 400, message: 'The reset link has expired; request a new one' },
  MFA_CODE_INVALID: { statusCode: 400, message: 'The two-factor code is not valid' },
  TWO_FACTOR_NOT_ENABLED: { statusCode: 400, message: 'Two-factor authentication is not enabled' },
  TWO_FACTOR_NOT_PENDING: { statusCode: 400, message: 'Start two-factor enrollment first' },
  PHONE_NUMBER_MISSING: { statusCode: 400, message: 'Add a phone number to the profile first' },
  PHONE_NOT_VERIFIED: { statusCode: 400, message: 'Verify a phone number first' },
  INVALID_PASSWORD: { statusCode: 400, message: 'The current password is not correct' },
  PASSKEY_CHALLENGE_INVALID: {
    statusCode: 400,
    message: 'The passkey request has expired or was already used; start again',
  },
  PASSKEY_REGISTRATION_FAILED: { statusCode: 400, message: 'The new passkey could not be verified' },
  OAUTH_STATE_INVALID: {
    statusCode: 400,
    message: 'The sign-in with the provider was not started here, has expired or was already used; start again',
  },
  OAUTH_CALLBACK_FAILED: { statusCode: 400, message: 'The provider did not complete the sign-in' },
  OAUTH_CODE_INVALID: { statusCode: 400, message: 'The code is not valid, has expired or was already used' },
  PROVIDER_NOT_OIDC: { statusCode: 400, message: 'This provider issues no ID tokens; use the redirect flow' },
  UNAUTHORIZED: { statusCode: 401, message: 'Unauthorized' },
  INVALID_CREDENTIALS: { statusCode: 401, message: 'Invalid email or password' },
  REFRESH_TOKEN_INVALID: { statusCode: 401, message: 'The refresh token is not valid' },
  MFA_TOKEN_INVALID: { statusCode: 401, message: 'The sign-in challenge is not valid or has expired; sign in again' },
  REFRESH_TOKEN_REUSED: { statusCode: 401, message: 'The refresh token has already been used' },
  PASSKEY_INVALID: { statusCode: 401, message: 'The passkey could not be verified' },
  ID_TOKEN_INVALID: { statusCode: 401, message: 'The ID token is not valid' },
  PASSKEY_CLONE_DETECTED: {
    statusCode: 401,
    message: 'This passkey appears to have been copied and was refused; sign in another way',
  },
  FORBIDDEN: { statusCode: 403, message: 'Insufficient permissions' },
  DEVICE_BLOCKED: { statusCode: 403, message: 'This device is blocked' },
  EMAIL_NOT_VERIFIED: { statusCode: 403, message: 'Verify your email address before signing in' },
  FEDERATED_EMAIL_UNVERIFIED: {
    statusCode: 403,
    message:
      'The provider did not confirm an email address for this identity; sign in another way, then link it from your account',
  },
  REAUTHENTICATION_REQUIRED: {
    statusCode: 403,
    message: 'Confirm with your password, or sign in again, before doing this',
  },
  NOT_FOUND: { statusCode: 404, message: 'Resource not found' },
  SESSION_NOT_FOUND: { statusCode: 404, message: 'Session not found' },
  DEVICE_NOT_FOUND: { statusCode: 404, message: 'Device not on the blacklist' },
  TOKEN_NOT_FOUND: { statusCode: 404, message: 'Refresh token not found' },
  USER_NOT_FOUND: { statusCode: 404, message: 'User not found' },
  ROLE_NOT_FOUND: { statusCode: 404, message: 'Role not found' },
  PASSKEY_NOT_FOUND: { statusCode: 404, message: 'Passkey not found' },
  PROVIDER_NOT_FOUND: { statusCode: 404, message: 'No such sign-in provider' },
  IDENTITY_NOT_FOUND: { statusCode: 404, message: 'Linked identity not found' },
  CLIENT_NOT_FOUND: { statusCode: 404, message: 'No such OpenID client' },
  EMAIL_TAKEN: { statusCode: 409, message: 'An account with this email already exists' },
  TWO_FACTOR_ALREADY_ENABLED: { statusCode: 409, message: 'This two-factor method is already enabled' },
  PHONE_TAKEN: { statusCode: 409, message: 'This phone number is verified on another account' },
  PHONE_USED_FOR_TWO_FACTOR: {
    statusCode: 409,
    message: 'Disable SMS two-factor authentication before changing the phone number',
  },
  LAST_SUPER_ADMIN: { statusCode: 409, message: 'The last SUPER_ADMIN cannot lose the role or be deleted' },
  IDENTITY_TAKEN: { statusCode: 409, message: 'This identity is already linked to another account' },
  LAST_SIGN_IN_METHOD: {
    statusCode: 409,
    message: 'This is the last way to sign in to the account; add a password, passkey or another identity first',
  },
  PROVIDER_EXISTS: { statusCode: 409, message: 'A sign-in provider with this id already exists' },
  PROVIDER_READ_ONLY: {
    statusCode: 409,
    message: 'This provider is configured by the environment and cannot be changed here',
  },
  CLIENT_NOT_CONFIDENTIAL: { statusCode: 409, message: 'A public client has no secret' },
  PAYLOAD_TOO_LARGE: { statusCode: 413, message: 'The request body is too large' },
  URI_TOO_LONG: { statusCode: 414, message: 'A part of the URL is too long' },
  UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, message: 'Send the body as application/json' },
  ACCOUNT_LOCKED: { statusCode: 423, message: 'The account is locked' },
  TOO_MANY_REQUESTS: { statusCode: 429, message: 'Too many requests; try again later' },
  MFA_LOCKED: { statusCode: 429, message: 'Too many wrong two-factor codes; try again later' },
  INTERNAL_ERROR: { statusCode: 500, message: 'Internal Server Error' },
  PROVIDER_UNAVAILABLE: { statusCode: 502, message: 'The sign-in provider could not be reached; try again later' },
  SERVICE_UNAVAILABLE: { statusCode: 503, message: 'The service is not ready' },
} as const satisfies Record<string, { statusCode: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface AppErrorOptions {
  /** Replaces the catalogue message when the client benefits from specifics (e.g. which field). */
  message?: string;
  retryAfterSeconds?: number;
  /** Logged, never sent. */
  cause?: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.message ?? errorCatalogue[code].message, { cause: options.cause });
    this.code = code;
    this.statusCode = errorCatalogue[code].statusCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The `error` field of the seed's error body: the standard reason phrase of the status ("URI Too Long"). */
export function reasonPhrase(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? 'Error';
}
