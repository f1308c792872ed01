import { errorCatalogue, type ErrorBody, type ErrorCode } from '@haven/contracts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../errors.ts';

/** Fastify's own error codes that are the client's fault, and what we call them. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_BAD_URL: 'MALFORMED_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'MALFORMED_REQUEST',
  // @fastify/multipart (uploads)
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_REQ_FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  FST_PARTS_LIMIT: 'MALFORMED_REQUEST',
  FST_FILES_LIMIT: 'MALFORMED_REQUEST',
  FST_FIELDS_LIMIT: 'MALFORMED_REQUEST',
  FST_PROTO_VIOLATION: 'MALFORMED_REQUEST',
  FST_MP_PREMATURE_CLOSE: 'MALFORMED_REQUEST',
};

/**
 * PostgreSQL errors that only input can cause: 22021 character_not_in_repertoire (a NUL byte or
 * invalid UTF-8 in text), 22P05 untranslatable_character.
 */
const clientDataCodes = new Set(['22021', '22P05']);

/**
 * Two requests that collided: a unique key taken a moment earlier by another transaction
 * (23505: two invitations for one new address accepted at once), a serialization failure
 * (40001) or a deadlock (40P01). Nothing was written; trying again gives the real answer.
 */
const collisionCodes = new Set(['23505', '40001', '40P01']);

function body(code: ErrorCode, requestId: string, extra: Partial<ErrorBody['error']> = {}): ErrorBody {
  return { error: { code, message: errorCatalogue[code].message, requestId, ...extra } };
}

/**
 * Errors the router raises before a route exists for the request (a badly %-encoded path, an
 * over-long parameter). Fastify would answer them in its own body, which echoes the URL; this
 * answers them like every other bad request. Passed to Fastify as `frameworkErrors`.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  request.log.info({ code: error.code }, 'bad request');
  void reply.status(400).send(body('MALFORMED_REQUEST', request.id));
}

/**
 * The one mapper from errors to HTTP. Clients get a stable code, a user-safe message and the
 * request id; never a stack trace, a SQL statement, or a value they sent. Unexpected errors are
 * logged by class and database error code only: driver messages can carry query parameters.
 */
export function registerErrorHandler(app: FastifyInstance, options: { spaIndex: boolean }): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const requestId = request.id;
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.error({ code: error.code }, error.message);
      else request.log.info({ code: error.code, why: error.options.internal }, 'request refused');
      if (error.options.retryAfterSeconds) reply.header('retry-after', String(error.options.retryAfterSeconds));
      const extra: Partial<ErrorBody['error']> = {};
      if (error.options.fields) extra.fields = error.options.fields;
      if (error.options.retryAfterSeconds) extra.retryAfterSeconds = error.options.retryAfterSeconds;
      return reply.status(error.status).send(body(error.code, requestId, extra));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      // fastify-type-provider-zod puts the zod issue's own properties in `params`: for an unknown
      // field that is `keys`, so the path names the field ("owner.nickname"), not just its parent.
      const fields = error.validation.map((issue) => ({
        path: [issue.instancePath.replace(/^\//, '').replace(/\//g, '.'), (issue.params as { keys?: unknown })?.keys]
          .flat()
          .filter((part): part is string => typeof part === 'string' && part !== '')
          .join('.') || (error.validationContext ?? 'body'),
        issue: issue.message ?? 'invalid',
      }));
      return reply.status(400).send(body('VALIDATION_FAILED', requestId, { fields }));
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.statusCode === 429) {
      const retry = Number(reply.getHeader('retry-after')) || 60;
      return reply.status(429).send(body('RATE_LIMITED', requestId, { retryAfterSeconds: retry }));
    }
    const mapped = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
    if (mapped) {
      request.log.info({ code: fastifyError.code }, 'bad request');
      return reply.status(errorCatalogue[mapped].status).send(body(mapped, requestId));
    }
    if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      request.log.info({ code: fastifyError.code, status: fastifyError.statusCode }, 'bad request');
      return reply.status(400).send(body('MALFORMED_REQUEST', requestId));
    }
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code && clientDataCodes.has(cause.code)) {
      // A value the schema let through but PostgreSQL cannot store (U+0000 in text): the client's
      // input is at fault, so 400, not 500. Logged by code only: the driver message holds the value.
      request.log.info({ dbCode: cause.code }, 'value refused by the database');
      return reply.status(400).send(body('VALIDATION_FAILED', requestId));
    }
    if (cause?.code && collisionCodes.has(cause.code)) {
      request.log.warn({ dbCode: cause.code }, 'concurrent change collided');
      return reply.status(409).send(body('CONFLICT_RETRY', requestId));
    }
    request.log.error({ errorClass: error.name, reason: (error as { reason?: string }).reason, dbCode: cause?.code, fastifyCode: fastifyError.code, stack: error.stack?.split('\n').filter((line) => line.startsWith('    at ')).slice(0, 6).join('\n') }, 'unexpected error');
    return reply.status(500).send(body('INTERNAL', requestId));
  });

  app.setNotFoundHandler((request, reply) => {
    // The web app routes on the client: unknown page paths get its index.html.
    if (options.spaIndex && request.method === 'GET' && !request.url.startsWith('/api/')) {
      return reply.type('text/html').sendFile('index.html');
    }
    return reply.status(404).send(body('ROUTE_NOT_FOUND', request.id));
  });
}
