import { Type } from 'typebox';
import { passwordMaxLength, passwordMinLength } from '../platform/password.js';

// The shapes several features accept; each is written here once.

export const EmailSchema = Type.String({ format: 'email', maxLength: 254, examples: ['user@example.com'] });

export const NewPasswordSchema = Type.String({
  minLength: passwordMinLength,
  maxLength: passwordMaxLength,
  examples: ['SecurePass123!'],
});

export const OtpSchema = Type.String({ pattern: '^[0-9]{6}$', examples: ['123456'] });

const deviceText = (maxLength: number, example: string) =>
  Type.String({ minLength: 1, maxLength, examples: [example] });

export const DeviceInfoSchema = Type.Object(
  {
    deviceName: Type.Optional(deviceText(200, 'iPhone 13')),
    platform: Type.Optional(deviceText(50, 'iOS')),
    appVersion: Type.Optional(deviceText(50, '1.0.0')),
    userAgent: Type.Optional(deviceText(512, 'Mozilla/5.0')),
    /** Stable per installation; signing in again on the same deviceId replaces that device's session. */
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' })),
    /** A client-computed device fingerprint; only its MAC is kept. */
    fingerprint: Type.Optional(Type.String({ minLength: 8, maxLength: 512 })),
  },
  { additionalProperties: false },
);

/** Confirms a change to how the account is entered (a passkey, a linked identity): the password, or none within 5 minutes of signing in. */
export const ConfirmBodySchema = Type.Union([
  Type.Object(
    {
      password: Type.Optional(
        Type.String({ minLength: 1, maxLength: 128, description: 'Not needed within 5 minutes of signing in' }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
