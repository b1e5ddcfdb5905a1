import type { MojiError } from '@moji/contracts';
import type { FastifyBaseLogger } from 'fastify';

/**
 * Logs a failed request: a bug (500) at error with its cause in full; an outage of a part
 * (the database, the model provider) at warn with its code only, since each request it
 * touches fails alike. Client errors are not logged here: the request line has their status.
 */
export function logFailure(
  log: FastifyBaseLogger,
  error: unknown,
  mojiError: MojiError,
  message = 'request failed',
): void {
  if (mojiError.status < 500) return;
  if (mojiError.code === 'INTERNAL_ERROR') log.error({ err: error }, message);
  else log.warn({ code: mojiError.code }, message);
}
