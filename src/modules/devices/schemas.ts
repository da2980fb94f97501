import { Type } from 'typebox';

const DeviceIdSchema = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[\\x21-\\x7e]+$',
  examples: ['ios-5F2A9C'],
});

export const BlacklistBodySchema = Type.Object(
  { deviceId: DeviceIdSchema, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { additionalProperties: false },
);

export const DeviceParamsSchema = Type.Object({ deviceId: DeviceIdSchema });

export const BlacklistedDeviceSchema = Type.Object({
  deviceId: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  createdByUserId: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const FingerprintBodySchema = Type.Object(
  { fingerprint: Type.String({ minLength: 8, maxLength: 512 }) },
  { additionalProperties: false },
);

export const FingerprintResultSchema = Type.Object({
  saved: Type.Boolean({ description: 'True on the first call for this device' }),
  match: Type.Optional(Type.Boolean({ description: 'Later calls: whether it equals the saved one' })),
});
