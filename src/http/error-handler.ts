import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, errorCatalogue, reasonPhrase } from '../errors.js';
import { applySecurityHeaders } from './security-headers.js';

/** The seed's `{ statusCode, message, error }` plus `code` and the request id. */
export function sendError(reply: FastifyReply, request: FastifyRequest, code: ErrorCode, message?: string) {
  const { statusCode } = errorCatalogue[code];
  return reply.code(statusCode).send({
    statusCode,
    message: message ?? errorCatalogue[code].message,
    error: reasonPhrase(statusCode),
    code,
    requestId: request.id,
  });
}

// Fastify's own client errors, mapped onto the catalogue.
const frameworkCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

// Errors the router raises before any route runs (Fastify's `frameworkErrors`), in the same format.
const routerCodes: Record<string, ErrorCode> = {
  FST_ERR_BAD_URL: 'INVALID_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

/** For Fastify's `frameworkErrors` option: a malformed or oversized URL gets the catalogue's answer too. */
export function sendRouterError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  // No onRequest hook runs for these requests, so their headers are set here.
  applySecurityHeaders(request, reply);
  return sendError(reply, request, routerCodes[error.code] ?? 'VALIDATION_FAILED');
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => sendError(reply, request, 'NOT_FOUND'));

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      if (error.cause) request.log.info({ err: error.cause, code: error.code }, 'request refused');
      return sendError(reply, request, error.code, error.message);
    }
    if ('validation' in error && error.validation) {
      // Names the field and rule ("body/password must NOT have more than 128 characters"), never a value.
      return sendError(reply, request, 'VALIDATION_FAILED', `Invalid input: ${error.message}`);
    }
    const statusCode = error.statusCode ?? 500;
    if (statusCode < 500) {
      const code = frameworkCodes[error.code] ?? (error instanceof SyntaxError ? 'INVALID_JSON' : 'VALIDATION_FAILED');
      return sendError(reply, request, code);
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendError(reply, request, 'INTERNAL_ERROR');
  });
}
