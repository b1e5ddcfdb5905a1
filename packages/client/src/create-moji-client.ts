import type { AppRouter } from '@moji/contracts';
import type { Token } from '@moji/contracts/schemas';
import {
  createTRPCClient,
  httpBatchLink,
  httpBatchStreamLink,
  splitLink,
  type TRPCClient,
} from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

import { toMojiClientError } from './moji-client-error.js';
import { mojiErrorLink } from './moji-error-link.js';

/** The body of a streamed completion: OpenAI's chat completion request plus `session_id`. */
export type StreamCompletionInput = inferRouterInputs<AppRouter>['chat']['streamCompletion'];

/** One `chat.completion.chunk` of a streamed completion. */
export type StreamCompletionChunk =
  inferRouterOutputs<AppRouter>['chat']['streamCompletion'] extends AsyncIterable<infer Chunk>
    ? Chunk
    : never;

/** Options of `createMojiClient`. */
export interface MojiClientOptions {
  /** The server's origin, such as `http://localhost:8000`; `/trpc` is appended. */
  baseUrl: string;
  /** A bearer token from `auth.token`; `login` sets one too. */
  token?: string;
  /** The `fetch` to call the server with; the global one by default. */
  fetch?: typeof fetch;
}

/** What a Moji client adds to the typed procedures. */
export interface MojiClientExtras {
  /** Logs in, keeps the token for later calls and returns it. */
  login(username: string, password: string): Promise<Token>;
  /** Replaces the kept token; `undefined` forgets it. */
  setToken(token: string | undefined): void;
  /** The token calls are made with, if any. */
  readonly token: string | undefined;
  /** Streams a completion chunk by chunk; stop early with `break` or the signal. */
  streamCompletion(
    input: StreamCompletionInput,
    options?: { signal?: AbortSignal },
  ): AsyncIterable<StreamCompletionChunk>;
}

/** A typed Moji client: every procedure of the API (`moji.sessions.list.query()`) and more. */
export type MojiClient = TRPCClient<AppRouter> & MojiClientExtras;

/**
 * Creates a typed client for a Moji server. Calls go to `/trpc` in batches; completion
 * streams go through a streaming link. Every failure is a `MojiClientError`.
 *
 * @example
 * const moji = createMojiClient({ baseUrl: 'http://localhost:8000' });
 * await moji.login('ada', 'correct horse');
 * const reply = await moji.chat.createCompletion.mutate({
 *   messages: [{ role: 'user', content: 'Hello!' }],
 * });
 * const stream = moji.streamCompletion({ messages: [{ role: 'user', content: 'Hi' }] });
 * for await (const chunk of stream) {
 *   process.stdout.write(chunk.choices[0]?.delta.content ?? '');
 * }
 */
export function createMojiClient(options: MojiClientOptions): MojiClient {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/trpc`;
  let token = options.token;
  const headers = () => (token ? { authorization: `Bearer ${token}` } : {});
  // Batches stay small and their URLs short: each call in a batch costs a rate-limit point,
  // and a GET batch carries every input in its URL.
  const transport = {
    url,
    headers,
    maxURLLength: 2048,
    maxItems: 10,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };

  const trpc = createTRPCClient<AppRouter>({
    links: [
      mojiErrorLink(),
      splitLink({
        condition: (op) => op.path === 'chat.streamCompletion',
        true: httpBatchStreamLink(transport),
        false: httpBatchLink(transport),
      }),
    ],
  });

  const extras: MojiClientExtras = {
    async login(username, password) {
      const issued = await trpc.auth.token.mutate({ username, password });
      token = issued.access_token;

      return issued;
    },
    setToken(next) {
      token = next;
    },
    get token() {
      return token;
    },
    async *streamCompletion(input, streamOptions = {}) {
      try {
        yield* await trpc.chat.streamCompletion.mutate(input, streamOptions);
      } catch (error) {
        throw toMojiClientError(error);
      }
    },
  };

  // tRPC's client is a proxy that turns every property into a procedure path; this one
  // answers the extras first and hands everything else to it.
  return new Proxy(trpc, {
    get: (target, key, receiver): unknown =>
      Object.hasOwn(extras, key) ? Reflect.get(extras, key) : Reflect.get(target, key, receiver),
  }) as MojiClient;
}
