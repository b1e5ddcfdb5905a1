import { expect } from 'vitest';

/** Asserts a response is the contract's error envelope with this status and code. */
export async function expectError(response: Response, status: number, code: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('x-request-id'), 'X-Request-ID').toBeTruthy();
  const body = JSON.parse(text) as { error: { message: string; type: string; code: string; details: unknown } };
  expect(Object.keys(body), text).toEqual(['error']);
  expect(body.error.code, text).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(typeof body.error.type).toBe('string');
  expect(body.error.details, text).toBeTypeOf('object');
  expect(text).not.toMatch(/\bat .+:\d+:\d+|node_modules|\/src\/|SELECT |kysely|ZodError|TRPCError/i);

  return body.error;
}
