import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFakeUpstream, type FakeEvent, type FakeUpstream } from './support/fake-upstream.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { dataOf, joinContent, readEvents } from './support/sse-events.js';
import { createUser, postJson, type TestUser } from './support/users.js';

const hello = [{ role: 'user', content: 'Hello there' }];

let upstream: FakeUpstream;
let moji: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  moji = await startMoji({
    LLM_BASE_URL: upstream.baseUrl,
    STREAM_KEEPALIVE_MS: '200',
    UPSTREAM_TIMEOUT_MS: '1500',
  });
  user = await createUser(moji.api);
});

afterAll(async () => {
  await moji?.close();
  await upstream?.close();
});

function stream(body: Record<string, unknown> = {}) {
  return postJson(
    `${moji.api}/chat/completions`,
    { model: 'm', messages: hello, stream: true, ...body },
    user.headers,
  );
}

function content(text: string, extra: Record<string, unknown> = {}): FakeEvent {
  return {
    chunk: { choices: [{ index: 0, delta: { content: text, ...extra }, finish_reason: null }] },
  };
}

const finish: FakeEvent = { chunk: { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] } };

describe('S1: the event stream', () => {
  it("answers 200 with OpenAI's SSE headers", async () => {
    const res = await stream();

    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('sends complete data events, one finish_reason, and [DONE] last, without usage', async () => {
    const before = upstream.received.length;
    const { events, rest, text } = await readEvents(await stream());

    expect(rest).toBe('');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    for (const event of events) expect(event.raw).toMatch(/^data: [^\n]+$/);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = dataOf(events);
    expect(chunks.every((chunk) => chunk['object'] === 'chat.completion.chunk')).toBe(true);
    expect(chunks.every((chunk) => chunk['model'] === 'm')).toBe(true);
    expect(chunks.filter((chunk) => chunk['choices'][0]?.finish_reason)).toHaveLength(1);
    expect(chunks.some((chunk) => 'usage' in chunk)).toBe(false);
    expect(joinContent(chunks)).toBe('Hello from the fake upstream');
    // Moji always asks for usage, to record it, whatever the client asked.
    expect(upstream.received[before]?.body['stream_options']).toEqual({ include_usage: true });
  });

  it('sends the usage chunk last, with empty choices, when the client asks for it', async () => {
    const { events } = await readEvents(await stream({ stream_options: { include_usage: true } }));

    const chunks = dataOf(events);
    const last = chunks.at(-1);
    expect(last?.['choices']).toEqual([]);
    expect(last?.['usage']).toEqual({ prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
    expect(chunks.slice(0, -1).some((chunk) => 'usage' in chunk)).toBe(false);
    expect(events.at(-1)?.data).toBe('[DONE]');
  });

  it('relays each chunk as the upstream produces it, not all at the end', async () => {
    upstream.enqueue({
      events: [
        content('one '),
        { delayMs: 400 },
        content('two '),
        { delayMs: 400 },
        content('three'),
        finish,
      ],
    });
    const { events } = await readEvents(await stream());

    const arrivals = events
      .filter((event) => event.data?.includes('"content"'))
      .map((event) => event.at);
    expect(arrivals).toHaveLength(3);
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(300);
    expect(arrivals[2]! - arrivals[1]!).toBeGreaterThanOrEqual(300);
  });

  it('fills upstream silence with keep-alive comments', async () => {
    upstream.enqueue({ events: [content('before '), { delayMs: 900 }, content('after'), finish] });
    const { events } = await readEvents(await stream());

    const comments = events.filter((event) => event.raw === ': keep-alive');
    expect(comments.length).toBeGreaterThanOrEqual(2);
    expect(joinContent(dataOf(events))).toBe('before after');
    expect(events.at(-1)?.data).toBe('[DONE]');
  });

  it("keeps a stream open while the upstream's own keep-alive comments arrive", async () => {
    const waiting: FakeEvent[] = [];
    for (let beat = 0; beat < 8; beat += 1)
      waiting.push({ delayMs: 300 }, { comment: 'keep-alive' });
    upstream.enqueue({ events: [content('thinking... '), ...waiting, content('done'), finish] });
    const { events } = await readEvents(await stream());

    expect(joinContent(dataOf(events))).toBe('thinking... done');
    expect(events.at(-1)?.data).toBe('[DONE]');
  });

  it('passes reasoning_content and tool call deltas through', async () => {
    const call = {
      index: 0,
      id: 'call_1',
      type: 'function',
      function: { name: 'lookup', arguments: '{"q":1}' },
    };
    upstream.enqueue({
      events: [
        {
          chunk: {
            choices: [
              {
                index: 0,
                delta: { role: 'assistant', reasoning_content: 'Let me look.' },
                finish_reason: null,
              },
            ],
          },
        },
        { chunk: { choices: [{ index: 0, delta: { tool_calls: [call] }, finish_reason: null }] } },
        { chunk: { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] } },
      ],
    });
    const chunks = dataOf((await readEvents(await stream())).events);

    expect(chunks[0]?.choices[0]?.delta).toEqual({
      role: 'assistant',
      reasoning_content: 'Let me look.',
    });
    expect(chunks[1]?.choices[0]?.delta).toEqual({ tool_calls: [call] });
    expect(chunks[2]?.choices[0]?.finish_reason).toBe('tool_calls');
  });
});

describe('S2: a streamed turn in a session', () => {
  it('holds the user message once and one assistant message equal to the streamed text', async () => {
    const created = await postJson(`${moji.api}/chat/sessions`, {}, user.headers);
    const { id } = (await created.json()) as { id: string };
    upstream.enqueue({
      text: 'A streamed answer in several words.',
      reasoning: 'Some thoughts first.',
    });
    const { events } = await readEvents(await stream({ session_id: id }));
    expect(events.at(-1)?.data).toBe('[DONE]');

    const stored = await fetch(`${moji.api}/chat/sessions/${id}/messages`, {
      headers: user.headers,
    });
    const { data } = (await stored.json()) as { data: Record<string, unknown>[] };
    expect(data).toHaveLength(2);
    expect(data[0]).toMatchObject({ role: 'user', content: 'Hello there', incomplete: false });
    expect(data[1]).toMatchObject({
      role: 'assistant',
      content: joinContent(dataOf(events)),
      reasoning_content: 'Some thoughts first.',
      incomplete: false,
      model: 'm',
    });
    expect(data[1]?.['content']).toBe('A streamed answer in several words.');
  });
});

describe('the built-in echo model', () => {
  it('streams too', async () => {
    const echo = await startMoji();
    try {
      const someone = await createUser(echo.api);
      const res = await postJson(
        `${echo.api}/chat/completions`,
        { model: 'echo', stream: true, stream_options: { include_usage: true }, messages: hello },
        someone.headers,
      );
      const { events } = await readEvents(res);

      expect(joinContent(dataOf(events))).toBe('Hello there');
      expect(dataOf(events).at(-1)?.['usage']).toMatchObject({ completion_tokens: 2 });
      expect(events.at(-1)?.data).toBe('[DONE]');
    } finally {
      await echo.close();
    }
  });
});
