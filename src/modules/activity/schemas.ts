import { Type } from 'typebox';

const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const PageQuerySchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

export const LoginEntrySchema = Type.Object({
  id: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  success: Type.Boolean(),
  method: Type.String({ examples: ['password'] }),
  failureReason: nullable(Type.String({ examples: ['INVALID_CREDENTIALS'] })),
  ipAddress: nullable(Type.String()),
  country: nullable(Type.String({ examples: ['GB'] })),
  city: nullable(Type.String()),
  deviceId: nullable(Type.String()),
  deviceName: nullable(Type.String()),
  platform: nullable(Type.String()),
  userAgent: nullable(Type.String()),
  flags: Type.Array(Type.String(), { examples: [['new_location']] }),
  sessionId: nullable(Type.String()),
});

export const LoginHistorySchema = Type.Object({ total: Type.Integer(), logins: Type.Array(LoginEntrySchema) });

export const TokenSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sessionId: Type.String({ format: 'uuid' }),
  device: Type.Object({
    deviceId: nullable(Type.String()),
    deviceName: nullable(Type.String()),
    platform: nullable(Type.String()),
  }),
  ipAddress: nullable(Type.String()),
  country: nullable(Type.String()),
  city: nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: nullable(Type.String({ format: 'date-time' })),
  expiresAt: Type.String({ format: 'date-time' }),
});

export const TokenParamsSchema = Type.Object({ tokenId: Type.String({ format: 'uuid' }) });
