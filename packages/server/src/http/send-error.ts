import { toTrpcErrorShape, type MojiError } from '@moji/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { decodePathSegment } from './rest-routes.js';

/** Answers with the contract's error envelope, its status and its headers. */
export function sendError(reply: FastifyReply, error: MojiError): FastifyReply {
  return reply
    .code(error.status)
    .headers(error.headers)
    .type('application/json; charset=utf-8')
    .send(error.toEnvelope());
}

/**
 * Answers a `/trpc` request that failed before tRPC saw it (415, 413, bad JSON, no such path)
 * in tRPC's own shape, one error per call of a batch, so that `@trpc/client` can read it.
 */
export function sendTrpcError(request: FastifyRequest, reply: FastifyReply, error: MojiError) {
  const [path = '', query = ''] = request.url.split('?', 2);
  const procedures = decodePathSegment(path.slice(path.lastIndexOf('/') + 1)).split(',');
  const shape = (procedure: string) => ({
    error: toTrpcErrorShape(error, { path: procedure || undefined, requestId: request.id }),
  });
  const isBatch = new URLSearchParams(query).get('batch') === '1';

  return reply
    .code(error.status)
    .headers(error.headers)
    .type('application/json')
    .send(isBatch ? procedures.map(shape) : shape(procedures[0] ?? ''));
}
