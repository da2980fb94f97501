import { Type } from 'typebox';
import { DeviceInfoSchema, EmailSchema, OtpSchema } from '../../core/schemas.js';
import { PhoneNumberSchema } from '../users/schemas.js';

const target = {
  channel: Type.Union([Type.Literal('sms'), Type.Literal('email')]),
  purpose: Type.Union([Type.Literal('verify_phone'), Type.Literal('verify_email'), Type.Literal('login')], {
    description: 'verify_phone needs a bearer token; login signs in an existing verified user',
  }),
  email: Type.Optional(EmailSchema),
  phoneNumber: Type.Optional(PhoneNumberSchema),
};

export const OtpSendBodySchema = Type.Object(target, { additionalProperties: false });

export const OtpVerifyBodySchema = Type.Object(
  { ...target, code: OtpSchema, deviceInfo: Type.Optional(DeviceInfoSchema) },
  { additionalProperties: false },
);
