import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

import { MojiError } from '@moji/contracts';

function toMojiError(code: string | undefined): MojiError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new MojiError('PAYLOAD_TOO_LARGE', "The request's headers are too large");
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new MojiError('VALIDATION_ERROR', 'The request did not arrive in time');
  }

  return new MojiError('VALIDATION_ERROR', 'The request is not valid HTTP');
}

/**
 * Answers a request that Node's HTTP parser refused (headers too large, a broken request line
 * or Content-Length) in the contract's envelope with a request id, then closes the
 * connection, as Fastify's own handler does with a body of its own.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;

  const mojiError = toMojiError(error.code);
  const body = JSON.stringify(mojiError.toEnvelope());
  if (socket.writable) {
    socket.write(
      [
        `HTTP/1.1 ${mojiError.status} ${STATUS_CODES[mojiError.status] ?? ''}`,
        'Content-Type: application/json; charset=utf-8',
        `Content-Length: ${Buffer.byteLength(body)}`,
        `X-Request-ID: ${randomUUID()}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  }
  socket.destroy(error);
}
