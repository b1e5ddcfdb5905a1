import { randomUUID } from 'node:crypto';

const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echoes a client's `X-Request-ID` when it is 1-128 of `[A-Za-z0-9._:-]`; otherwise makes one. */
export function resolveRequestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && acceptable.test(header) ? header : randomUUID();
}
