import { isEmailAddress } from '../../http/validation.js';
import { passwordMaxLength, passwordMinLength } from '../../platform/password.js';
import type { FieldErrors } from '../components.js';

// Page routes are not part of the JSON API reference.
export const page = { schema: { hide: true } };
// The same budgets as the API's operations: a form is one more way to call them, not a way around them.
export const limited = (group: string) => ({
  ...page,
  config: { rateLimit: { group, identifiedBy: ['email' as const] } },
});

export function checkEmail(email: string, errors: FieldErrors): void {
  if (!isEmailAddress(email.trim())) errors.email = 'Enter your email address, like name@example.com.';
}

export function checkNewPassword(password: string, errors: FieldErrors): void {
  if (password.length < passwordMinLength) errors.password = `Use at least ${passwordMinLength} characters.`;
  else if (password.length > passwordMaxLength) errors.password = `Use at most ${passwordMaxLength} characters.`;
}
