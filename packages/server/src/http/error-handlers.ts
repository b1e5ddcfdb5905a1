import { MojiError, toMojiError } from '@moji/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';

import { REST_PREFIX, rejectUnroutable } from './rest-api.js';
import { sendError } from './send-error.js';

function fromFastifyError(error: FastifyError): MojiError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MojiError('PAYLOAD_TOO_LARGE', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new MojiError('UNSUPPORTED_MEDIA_TYPE', 'The body must be JSON (Content-Type: application/json)');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MojiError('VALIDATION_ERROR', 'The body is not valid JSON');
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new MojiError('VALIDATION_ERROR', 'The body is not valid JSON');
  }

  return toMojiError(error);
}

/** Answers every error Fastify itself meets, and unknown routes, in the contract's envelope. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mojiError = fromFastifyError(error);
    if (mojiError.status >= 500) request.log.error({ err: error }, 'request failed');

    return sendError(reply, mojiError);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    if (path === REST_PREFIX || path.startsWith(`${REST_PREFIX}/`)) {
      const rejected = rejectUnroutable(request, reply);
      if (rejected) return rejected;
    }

    return sendError(reply, new MojiError('NOT_FOUND', `No route for ${request.method} ${path}`));
  });
}
