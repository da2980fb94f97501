import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, errorCatalogue, reasonPhrases } from '../errors.js';

/** The seed's `{ statusCode, message, error }` plus `code` and the request id. */
export function sendError(reply: FastifyReply, request: FastifyRequest, code: ErrorCode, message?: string) {
  const { statusCode } = errorCatalogue[code];
  return reply.code(statusCode).send({
    statusCode,
    message: message ?? errorCatalogue[code].message,
    error: reasonPhrases[statusCode] ?? 'Error',
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
