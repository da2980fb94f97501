import { Type } from 'typebox';
import { DeviceInfoSchema, EmailSchema, NewPasswordSchema, OtpSchema } from '../../core/schemas.js';
import { AccountTypeSchema, NameSchema } from '../users/schemas.js';

export const RegisterBodySchema = Type.Object(
  {
    email: EmailSchema,
    password: NewPasswordSchema,
    firstName: Type.Optional(NameSchema),
    lastName: Type.Optional(NameSchema),
    accountType: Type.Optional(AccountTypeSchema),
  },
  { additionalProperties: false },
);

export const VerifyEmailBodySchema = Type.Object(
  { email: EmailSchema, otp: OtpSchema, deviceInfo: Type.Optional(DeviceInfoSchema) },
  { additionalProperties: false },
);

export const ResendBodySchema = Type.Object({ email: EmailSchema }, { additionalProperties: false });

/** The seed's `{ message, otp (dev only) }`; `otp` never appears in production. */
export const CodeSentSchema = Type.Object({
  message: Type.String(),
  otp: Type.Optional(Type.String({ description: 'Only outside NODE_ENV=production' })),
});
