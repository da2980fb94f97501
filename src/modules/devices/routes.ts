import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type Authenticate, principalOf } from '../../http/authenticate.js';
import type { Authorization } from '../../http/authorize.js';
import { bearerAuth, errorResponses, MessageSchema } from '../../http/schemas.js';
import {
  BlacklistBodySchema,
  BlacklistedDeviceSchema,
  DeviceParamsSchema,
  FingerprintBodySchema,
  FingerprintResultSchema,
} from './schemas.js';
import type { DeviceService } from './service.js';

interface Deps {
  devices: DeviceService;
  authenticate: Authenticate;
  authorization: Authorization;
}

export function deviceRoutes({ devices, authenticate, authorization }: Deps): FastifyPluginAsyncTypebox {
  const { actorOf, requirePermission } = authorization;
  return async (app) => {
    const admin = { onRequest: authenticate, preHandler: requirePermission('device.blacklist') };

    app.get(
      '/admin/devices/blacklist',
      {
        ...admin,
        schema: {
          tags: ['Administration'],
          summary: 'Blacklisted device ids (permission device.blacklist)',
          security: bearerAuth,
          response: { 200: Type.Object({ devices: Type.Array(BlacklistedDeviceSchema) }), ...errorResponses(401, 403) },
        },
      },
      () => devices.list(),
    );

    app.post(
      '/admin/devices/blacklist',
      {
        ...admin,
        schema: {
          tags: ['Administration'],
          summary: 'Blacklist a device id; its live sessions end at once (permission device.blacklist)',
          security: bearerAuth,
          body: BlacklistBodySchema,
          response: {
            201: Type.Object({ device: BlacklistedDeviceSchema, endedSessions: Type.Integer() }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return devices.block(actorOf(request), request.body);
      },
    );

    app.delete(
      '/admin/devices/blacklist/:deviceId',
      {
        ...admin,
        schema: {
          tags: ['Administration'],
          summary: 'Take a device id off the blacklist (permission device.blacklist)',
          security: bearerAuth,
          params: DeviceParamsSchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => devices.unblock(actorOf(request), request.params.deviceId),
    );

    app.post(
      '/auth/fingerprint',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Devices'],
          summary: "Save this session's device fingerprint (first call) or compare with the saved one",
          security: bearerAuth,
          body: FingerprintBodySchema,
          response: { 200: FingerprintResultSchema, ...errorResponses(400, 401) },
        },
      },
      (request) => devices.saveOrCompareFingerprint(principalOf(request), request.body.fingerprint),
    );
  };
}
