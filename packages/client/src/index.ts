import type { AppRouter } from '@moji/contracts';
import { createTRPCClient, httpBatchLink } from '@trpc/client';

/** Options of `createMojiClient`. */
export interface MojiClientOptions {
  /** The server's origin, such as `http://localhost:8000`; `/trpc` is appended. */
  baseUrl: string;
  /** A bearer token from `auth.token`. */
  token?: string;
}

/**
 * A typed client for Moji's API.
 *
 * @example
 * const moji = createMojiClient({ baseUrl: 'http://localhost:8000', token });
 * const me = await moji.auth.me.query();
 */
export function createMojiClient(options: MojiClientOptions) {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/trpc`;

  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url,
        headers: () => (options.token ? { authorization: `Bearer ${options.token}` } : {}),
      }),
    ],
  });
}
