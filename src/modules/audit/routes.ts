import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Authenticate } from '../../http/authenticate.js';
import type { Authorization } from '../../http/authorize.js';
import { bearerAuth, errorResponses } from '../../http/schemas.js';
import type { AuditService } from './service.js';

interface Deps {
  audit: AuditService;
  authenticate: Authenticate;
  authorization: Authorization;
}

const AuditQuerySchema = Type.Object(
  {
    userId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Events about this user' })),
    action: Type.Optional(Type.String({ pattern: '^[a-z_]+\\.[a-z_]+$', examples: ['login.failed'] })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

const AuditEventSchema = Type.Object({
  id: Type.Integer(),
  action: Type.String(),
  actorUserId: Type.Union([Type.Integer(), Type.Null()]),
  targetUserId: Type.Union([Type.Integer(), Type.Null()]),
  ipAddress: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' }),
});

export function auditRoutes({ audit, authenticate, authorization }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/admin/audit',
      {
        onRequest: authenticate,
        preHandler: authorization.requirePermission('audit.read'),
        schema: {
          tags: ['Administration'],
          summary: 'The audit trail, newest first, filtered by user, action and time (permission audit.read)',
          security: bearerAuth,
          querystring: AuditQuerySchema,
          response: {
            200: Type.Object({ total: Type.Integer(), events: Type.Array(AuditEventSchema) }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      (request) => audit.listEvents(request.query),
    );
  };
}
