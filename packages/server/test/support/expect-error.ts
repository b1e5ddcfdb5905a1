import { expect } from 'vitest';

import type { RawResponse } from './raw-request.js';

/** The `error` member of the contract's envelope. */
export interface EnvelopeError {
  message: string;
  type: string;
  code: string;
  details: Record<string, unknown>;
}

function checkEnvelope(
  status: number,
  requestId: string | null,
  text: string,
  want: number,
  code: string,
) {
  expect(status, text).toBe(want);
  expect(requestId, 'X-Request-ID').toBeTruthy();
  const body = JSON.parse(text) as { error: EnvelopeError };
  expect(Object.keys(body), text).toEqual(['error']);
  expect(body.error.code, text).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(typeof body.error.type).toBe('string');
  expect(body.error.details, text).toBeTypeOf('object');
  expect(body.error.details, text).not.toBeNull();
  expect(text).not.toMatch(
    /\bat .+:\d+:\d+|node_modules|\/src\/|SELECT |kysely|ZodError|TRPCError/i,
  );

  return body.error;
}

/** Asserts a response is the contract's error envelope with this status and code. */
export async function expectError(response: Response, status: number, code: string) {
  const text = await response.text();

  return checkEnvelope(response.status, response.headers.get('x-request-id'), text, status, code);
}

/** The same check for a response read with `rawRequest`. */
export function expectRawError(response: RawResponse, status: number, code: string) {
  const requestId = response.headers['x-request-id'];

  return checkEnvelope(
    response.status,
    typeof requestId === 'string' ? requestId : null,
    response.text,
    status,
    code,
  );
}
