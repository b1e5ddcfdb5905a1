import type { MojiError } from '@moji/contracts';
import type { FastifyReply } from 'fastify';

/** Answers with the contract's error envelope, its status and its headers. */
export function sendError(reply: FastifyReply, error: MojiError): FastifyReply {
  return reply
    .code(error.status)
    .headers(error.headers)
    .type('application/json; charset=utf-8')
    .send(error.toEnvelope());
}
