import type { AppRouter, MojiErrorData } from '@moji/contracts';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { expect } from 'vitest';

/** The headers of the last HTTP response a test client received. */
export interface LastResponse {
  status: number;
  headers: Headers;
}

/**
 * A typed tRPC client for a test server, calling `/trpc` through `httpBatchLink`. The last
 * response's status and headers are kept in `last` (for rate-limit headers).
 */
export function createTestClient(origin: string, token?: string, maxItems = 10) {
  const last: LastResponse = { status: 0, headers: new Headers() };
  const client = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${origin}/trpc`,
        maxItems,
        headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
        fetch: async (url, init) => {
          const res = await fetch(url, init);
          last.status = res.status;
          last.headers = res.headers;

          return res;
        },
      }),
    ],
  });

  return { client, last };
}

/** Awaits a tRPC call that must fail, and checks the contract's code and status in `error.data`. */
export async function expectTrpcError(
  call: Promise<unknown>,
  httpStatus: number,
  code: string,
): Promise<TRPCClientError<AppRouter>> {
  const error = await call.then(
    (value) => {
      throw new Error(`expected ${code}, got ${JSON.stringify(value)}`);
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  const trpcError = error as TRPCClientError<AppRouter>;
  const data = trpcError.data as MojiErrorData | undefined;
  expect(data, trpcError.message).toBeDefined();
  expect(data?.code, JSON.stringify(trpcError.shape)).toBe(code);
  expect(data?.httpStatus, JSON.stringify(trpcError.shape)).toBe(httpStatus);
  expect(typeof data?.type).toBe('string');
  expect(data?.details).toBeTypeOf('object');
  expect(JSON.stringify(trpcError.shape)).not.toMatch(
    /node_modules|\/src\/|\bat .+:\d+:\d+|"stack"/,
  );

  return trpcError;
}
