import { MojiError, toMojiError } from '@moji/contracts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { logFailure } from '../observability/log-failure.js';
import { REST_PREFIX, rejectUnroutable } from './rest-api.js';
import { sendError, sendTrpcError } from './send-error.js';
import { TRPC_PREFIX } from './trpc-api.js';

function fromFastifyError(error: FastifyError): MojiError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MojiError('PAYLOAD_TOO_LARGE', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new MojiError(
        'UNSUPPORTED_MEDIA_TYPE',
        'The body must be JSON (Content-Type: application/json)',
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MojiError('VALIDATION_ERROR', 'The body is not valid JSON');
  }
  // Only Fastify's own refusals are the client's fault; a SyntaxError thrown by code that
  // serves the request is a bug, answered as one.
  if (error.code?.startsWith('FST_') && error.statusCode === 400) {
    return new MojiError('VALIDATION_ERROR', 'The request could not be read');
  }

  return toMojiError(error);
}

function isUnder(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

// Each door answers in its own shape: tRPC's under /trpc, the envelope everywhere else.
function answer(request: FastifyRequest, reply: FastifyReply, error: MojiError): FastifyReply {
  const path = request.url.split('?', 1)[0] ?? '';

  return isUnder(TRPC_PREFIX, path)
    ? sendTrpcError(request, reply, error)
    : sendError(reply, error);
}

/**
 * Answers what Fastify meets before routing, such as a path with a broken %-escape, in the
 * envelope. Such a path names nothing that exists: 404, like any malformed id.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  void reply.header('X-Request-ID', request.id);
  if (error.code === 'FST_ERR_BAD_URL') {
    void answer(request, reply, new MojiError('NOT_FOUND', 'No resource has this address'));

    return;
  }
  request.log.error({ err: error }, 'request failed');

  void answer(request, reply, toMojiError(error));
}

/** Answers every error Fastify itself meets, and unknown routes, in the contract's shapes. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mojiError = fromFastifyError(error);
    logFailure(request.log, error, mojiError);

    return answer(request, reply, mojiError);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    if (isUnder(REST_PREFIX, path)) {
      const rejected = rejectUnroutable(request, reply);
      if (rejected) return rejected;
    }

    return answer(
      request,
      reply,
      new MojiError('NOT_FOUND', `No route for ${request.method} ${path}`),
    );
  });
}
