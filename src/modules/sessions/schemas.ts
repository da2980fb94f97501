import { Type } from 'typebox';
import { UserSchema } from '../users/schemas.js';

const tokenFields = {
  accessToken: Type.String({ description: 'EdDSA JWT; send as `Authorization: Bearer`' }),
  refreshToken: Type.String({ description: 'Opaque, single use: each refresh returns a new one' }),
  sessionId: Type.String({ format: 'uuid' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Access token lifetime in seconds' }),
};

/** The seed's `{ user, accessToken, refreshToken, sessionId }`. */
export const SignInResultSchema = Type.Object({ user: UserSchema, ...tokenFields });

export const RefreshResultSchema = Type.Object(tokenFields);

export const RefreshBodySchema = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

export const LogoutBodySchema = Type.Union([
  Type.Object(
    { refreshToken: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

export const SessionSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  deviceId: Type.Union([Type.String(), Type.Null()]),
  deviceName: Type.Union([Type.String(), Type.Null()]),
  platform: Type.Union([Type.String(), Type.Null()]),
  appVersion: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  ipAddress: Type.Union([Type.String(), Type.Null()]),
  country: Type.Union([Type.String(), Type.Null()]),
  city: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  lastActiveAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  current: Type.Boolean({ description: 'The session of the token making this request' }),
});

export const SessionListSchema = Type.Object({ userId: Type.Integer(), sessions: Type.Array(SessionSchema) });

export const SessionParamsSchema = Type.Object({ sessionId: Type.String({ format: 'uuid' }) });
