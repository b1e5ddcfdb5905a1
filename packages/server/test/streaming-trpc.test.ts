import type { AppRouter, CompletionChunk, MojiErrorData } from '@moji/contracts';
import { createTRPCClient, httpBatchStreamLink, TRPCClientError } from '@trpc/client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFakeUpstream, type FakeEvent, type FakeUpstream } from './support/fake-upstream.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { createUser, postJson, type TestUser } from './support/users.js';

const hello = [{ role: 'user' as const, content: 'Hello there' }];

let upstream: FakeUpstream;
let moji: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  moji = await startMoji({ LLM_BASE_URL: upstream.baseUrl });
  user = await createUser(moji.api);
});

afterAll(async () => {
  await moji?.close();
  await upstream?.close();
});

function streamingClient(token: string | undefined, agent?: Agent) {
  // A client that aborts gets a pool of its own: fetch may open a spare connection after an
  // abort, and a connection that never sent a request holds a server's close for a minute.
  const fetchThroughAgent = agent
    ? (((url: string, init: RequestInit) =>
        undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch)
    : undefined;

  return createTRPCClient<AppRouter>({
    links: [
      httpBatchStreamLink({
        url: `${moji.origin}/trpc`,
        headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
        ...(fetchThroughAgent ? { fetch: fetchThroughAgent } : {}),
      }),
    ],
  });
}

function content(text: string): FakeEvent {
  return { chunk: { choices: [{ index: 0, delta: { content: text }, finish_reason: null }] } };
}

async function collect(
  chunks: AsyncIterable<CompletionChunk>,
): Promise<{ chunk: CompletionChunk; at: number }[]> {
  const started = Date.now();
  const received: { chunk: CompletionChunk; at: number }[] = [];
  for await (const chunk of chunks) received.push({ chunk, at: Date.now() - started });

  return received;
}

describe('chat.streamCompletion over /trpc', () => {
  it('streams the chunks as they come, with usage only when asked for', async () => {
    const client = streamingClient(user.token);
    upstream.enqueue({
      events: [
        content('one '),
        { delayMs: 400 },
        content('two'),
        { chunk: { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] } },
        {
          chunk: {
            choices: [],
            usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
          },
        },
      ],
    });
    const received = await collect(
      await client.chat.streamCompletion.mutate({
        model: 'm',
        messages: hello,
        stream_options: { include_usage: true },
      }),
    );

    const text = received.map(({ chunk }) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('one two');
    expect(received.every(({ chunk }) => chunk.model === 'm')).toBe(true);
    expect(received.at(-1)?.chunk.usage).toEqual({
      prompt_tokens: 3,
      completion_tokens: 2,
      total_tokens: 5,
    });
    const [first, second] = received.filter(({ chunk }) => chunk.choices[0]?.delta.content);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(300);
  });

  it('stores the streamed turn in a session', async () => {
    const client = streamingClient(user.token);
    const created = await postJson(`${moji.api}/chat/sessions`, {}, user.headers);
    const { id } = (await created.json()) as { id: string };
    upstream.enqueue({ text: 'Streamed over tRPC.' });
    await collect(await client.chat.streamCompletion.mutate({ messages: hello, session_id: id }));

    const stored = await fetch(`${moji.api}/chat/sessions/${id}/messages`, {
      headers: user.headers,
    });
    const { data } = (await stored.json()) as { data: { role: string; content: unknown }[] };
    expect(data.map((message) => [message.role, message.content])).toEqual([
      ['user', 'Hello there'],
      ['assistant', 'Streamed over tRPC.'],
    ]);
  });

  it("carries the contract's errors: 401 without a token, 404 for an unknown model", async () => {
    const failures: [string | undefined, string, number, string][] = [
      [undefined, 'm', 401, 'AUTH_FAILED'],
      [user.token, 'no-such-model', 404, 'NOT_FOUND'],
    ];
    for (const [token, model, status, code] of failures) {
      if (model === 'no-such-model') upstream.enqueue({ status: 404 });
      const call = (async () =>
        collect(
          await streamingClient(token).chat.streamCompletion.mutate({ model, messages: hello }),
        ))();
      const error = await call.then(
        () => undefined,
        (caught: unknown) => caught,
      );

      expect(error).toBeInstanceOf(TRPCClientError);
      const data = (error as TRPCClientError<AppRouter>).data as MojiErrorData;
      expect(data).toMatchObject({ code, httpStatus: status });
    }
  });

  it('cancels the upstream call when the client aborts', async () => {
    const before = upstream.received.length;
    upstream.enqueue({ events: [content('started'), { delayMs: 10_000 }, content(' late')] });
    const controller = new AbortController();
    const agent = new Agent();
    try {
      const chunks = await streamingClient(user.token, agent).chat.streamCompletion.mutate(
        { model: 'm', messages: hello },
        { signal: controller.signal },
      );
      const reading = (async () => {
        for await (const chunk of chunks) {
          if (chunk.choices[0]?.delta['content']) controller.abort();
        }
      })();
      await reading.catch(() => undefined);

      await upstream.waitFor((received) => received[before]?.aborted === true);
    } finally {
      await agent.destroy();
    }
  });
});
