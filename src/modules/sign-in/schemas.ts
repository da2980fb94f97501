import { Type } from 'typebox';
import { DeviceInfoSchema, EmailSchema } from '../../core/schemas.js';
import { passwordMaxLength } from '../../platform/password.js';

export const LoginBodySchema = Type.Object(
  {
    email: EmailSchema,
    // Any length up to the cap: accounts created before a policy change must still sign in.
    password: Type.String({ minLength: 1, maxLength: passwordMaxLength, examples: ['SecurePass123!'] }),
    deviceInfo: Type.Optional(DeviceInfoSchema),
  },
  { additionalProperties: false },
);
