import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ReplyCollector } from '../src/services/chat/reply-collector.js';
import { UsageRecorder } from '../src/services/chat/usage-recorder.js';
import { expectError } from './support/expect-error.js';
import { startFakeUpstream, type FakeEvent, type FakeUpstream } from './support/fake-upstream.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { readEvents } from './support/sse-events.js';
import { createUser, postJson, type TestUser } from './support/users.js';

const hello = [{ role: 'user', content: 'Hello there' }];
const MAX_INT = 2_147_483_647;

let upstream: FakeUpstream;
let moji: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  moji = await startMoji({ LLM_BASE_URL: upstream.baseUrl, UPSTREAM_TIMEOUT_MS: '5000' });
  user = await createUser(moji.api);
});

afterAll(async () => {
  await moji?.close();
  await upstream?.close();
});

function complete(body: Record<string, unknown> = {}, who: TestUser = user) {
  return postJson(
    `${moji.api}/chat/completions`,
    { model: 'm', messages: hello, ...body },
    who.headers,
  );
}

async function newSession(): Promise<string> {
  const res = await postJson(`${moji.api}/chat/sessions`, {}, user.headers);
  expect(res.status, await res.clone().text()).toBe(201);

  return ((await res.json()) as { id: string }).id;
}

async function storedMessages(sessionId: string) {
  const res = await fetch(`${moji.api}/chat/sessions/${sessionId}/messages`, {
    headers: user.headers,
  });
  expect(res.status, await res.clone().text()).toBe(200);

  return ((await res.json()) as { data: Record<string, unknown>[] }).data;
}

function usageRows(userId: string) {
  return moji.server.database.db
    .selectFrom('usage_records')
    .select(['prompt_tokens', 'completion_tokens'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
}

/** The contract error that ends a stream, from its last event. */
async function streamError(res: Response) {
  expect(res.status, await res.clone().text()).toBe(200);
  const { events } = await readEvents(res);
  const last = JSON.parse(events.at(-1)?.data ?? '{}') as { error?: { code: string } };

  return { last, events };
}

const choice = (delta: unknown, finish: string | null = null) => ({
  chunk: { choices: [{ index: 0, delta, finish_reason: finish }] },
});

describe('1: upstream usage numbers are cleaned before they are recorded', () => {
  it('clamps fractions and huge counts, plain and streamed, and usage stays readable', async () => {
    const someone = await createUser(moji.api);
    upstream.enqueue({
      json: {
        choices: [
          { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 1.5, completion_tokens: 1e12, total_tokens: 'x' },
      },
    });
    expect((await complete({}, someone)).status).toBe(200);
    upstream.enqueue({
      events: [
        choice({ content: 'hi' }, 'stop'),
        { chunk: { choices: [], usage: { prompt_tokens: 1e12, completion_tokens: -3.5 } } },
      ],
    });
    await readEvents(await complete({ stream: true }, someone));
    await expect.poll(() => usageRows(someone.id)).toHaveLength(2);
    expect(await usageRows(someone.id)).toEqual([
      { prompt_tokens: 1, completion_tokens: MAX_INT },
      { prompt_tokens: MAX_INT, completion_tokens: 0 },
    ]);
  });

  it('writes the good rows of a refused batch, dropping only the bad ones', async () => {
    const recorder = new UsageRecorder(moji.server.database, pino({ level: 'silent' }));
    const good = await createUser(moji.api);
    const counts = (n: number) => ({ prompt_tokens: n, completion_tokens: 2, total_tokens: n + 2 });
    await Promise.all([
      recorder.record(good, 'm', counts(1)),
      recorder.record(good, 'm', counts(1.5)),
      recorder.record(good, 'm', counts(1e12)),
      recorder.record(good, 'm', counts(3)),
    ]);
    await recorder.flush();
    expect(await usageRows(good.id)).toEqual([
      { prompt_tokens: 1, completion_tokens: 2 },
      { prompt_tokens: 3, completion_tokens: 2 },
    ]);
    await recorder.record(good, 'm', counts(4));
    expect(await usageRows(good.id)).toHaveLength(3);
  });
});

/** A request body whose `field` holds arrays nested `depth` deep (under "a"), as text. */
function deepBody(field: string, depth: number): string {
  const head = JSON.stringify({ model: 'm', messages: hello }).slice(0, -1);

  return `${head},${field}:{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
}

const DEPTH = 50_000;

describe('2: JSON nested too deeply to forward', () => {
  it('answers 400 VALIDATION_ERROR over REST, not 500', async () => {
    const before = upstream.received.length;
    const deep = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
    const tools = `[{"type":"function","function":{"name":"f","parameters":{"a":${deep}}}}]`;
    const head = JSON.stringify({ model: 'm', messages: hello }).slice(0, -1);
    for (const body of [deepBody('"web_search_options"', DEPTH), `${head},"tools":${tools}}`]) {
      const res = await fetch(`${moji.api}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...user.headers },
        body,
      });
      const error = await expectError(res, 400, 'VALIDATION_ERROR');
      expect(error.message).toMatch(/nested too deeply/);
    }
    expect(upstream.received.length).toBe(before);
  });

  it('answers 400 VALIDATION_ERROR over /trpc, not 500', async () => {
    const res = await fetch(`${moji.origin}/trpc/chat.createCompletion`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...user.headers },
      body: deepBody('"web_search_options"', DEPTH),
    });
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(text).toContain('VALIDATION_ERROR');
    expect(text).toMatch(/nested too deeply/);
  });
});

describe('3: malformed non-streamed replies are 502 and never stored', () => {
  const message = (extra: Record<string, unknown>) => ({
    choices: [{ index: 0, message: { role: 'assistant', content: 'x', ...extra } }],
  });
  const cases: [string, unknown][] = [
    ['tool_calls not an array', message({ tool_calls: 'notarray' })],
    [
      'a tool call without id',
      message({ tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }),
    ],
    ['reasoning_content a number', message({ reasoning_content: 5 })],
    ['content an object', message({ content: { a: 1 } })],
    ['a choice that is not an object', { choices: [null] }],
  ];
  for (const [label, json] of cases) {
    it(`answers 502 UPSTREAM_ERROR for ${label}`, async () => {
      const sessionId = await newSession();
      upstream.enqueue({ json });
      const error = await expectError(
        await complete({ session_id: sessionId }),
        502,
        'UPSTREAM_ERROR',
      );
      expect(error.message).toBe('The model provider sent a malformed reply');
      expect(await storedMessages(sessionId)).toEqual([]);
    });
  }
});

describe('4: malformed stream chunks end the stream with UPSTREAM_ERROR', () => {
  const cases: [string, FakeEvent][] = [
    ['tool_calls an object', choice({ tool_calls: { a: 1 } })],
    ['a null choice', { chunk: { choices: [null] } }],
    [
      'a "__proto__" index',
      choice({ tool_calls: [{ index: '__proto__', id: 'polluted', function: { name: 'f' } }] }),
    ],
    ['an index past the cap', choice({ tool_calls: [{ index: 1e9, id: 'x' }] })],
  ];
  for (const [label, bad] of cases) {
    it(`for ${label}, without touching Array.prototype`, async () => {
      upstream.enqueue({ events: [choice({ content: 'partial ' }), bad, choice({}, 'stop')] });
      const { last } = await streamError(await complete({ stream: true }));
      expect(last.error?.code).toBe('UPSTREAM_ERROR');
      expect(([] as unknown as { id?: unknown }).id).toBeUndefined();
    });
  }

  it('refuses a "__proto__" index in the collector itself', () => {
    const collector = new ReplyCollector();
    const chunk = {
      choices: [{ index: 0, delta: { tool_calls: [{ index: '__proto__', id: 'p' }] } }],
    };
    expect(() => collector.add(chunk as never)).toThrow(/malformed/);
    expect(([] as unknown as { id?: unknown }).id).toBeUndefined();
  });
});

describe('5: NUL and lone surrogates in a reply are stored as U+FFFD', () => {
  const odd = 'a\u0000b\ud800c';
  const stored = 'a\uFFFDb\uFFFDc';

  it('stores a plain reply, its reasoning and tool call arguments', async () => {
    const sessionId = await newSession();
    upstream.enqueue({
      json: {
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: odd,
              reasoning_content: odd,
              tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: odd } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
      },
    });
    const res = await complete({ session_id: sessionId });
    expect(res.status, await res.clone().text()).toBe(200);
    const reply = (await storedMessages(sessionId)).at(-1);
    expect(reply).toMatchObject({ content: stored, reasoning_content: stored });
    expect(JSON.stringify(reply?.['tool_calls'])).toContain(JSON.stringify(stored).slice(1, -1));
  });

  it('stores a streamed reply', async () => {
    const sessionId = await newSession();
    upstream.enqueue({
      events: [choice({ reasoning_content: odd }), choice({ content: odd }), choice({}, 'stop')],
    });
    const { events } = await readEvents(await complete({ session_id: sessionId, stream: true }));
    expect(events.at(-1)?.data).toBe('[DONE]');
    expect((await storedMessages(sessionId)).at(-1)).toMatchObject({
      content: stored,
      reasoning_content: stored,
    });
  });
});

describe('6: oversized upstream answers are refused, not buffered', () => {
  it('ends a stream whose event grows past 8 MiB with UPSTREAM_ERROR', async () => {
    upstream.enqueue({
      events: [{ raw: `data: ${'x'.repeat(9 * 1024 * 1024)}` }],
      ending: 'stall',
    });
    const { last } = await streamError(await complete({ stream: true }));
    expect(last.error?.code).toBe('UPSTREAM_ERROR');
  });

  it('answers 502 for a plain answer past 32 MiB', async () => {
    upstream.enqueue({ json: { choices: [], pad: 'x'.repeat(33 * 1024 * 1024) } });
    await expectError(await complete(), 502, 'UPSTREAM_ERROR');
  });
});

describe('7: an upstream Retry-After is capped', () => {
  it('passes on at most a day, as a whole number', async () => {
    upstream.enqueue({ status: 429, headers: { 'retry-after': '99999999999999999999999' } });
    const res = await complete();
    await expectError(res.clone(), 429, 'RATE_LIMIT_EXCEEDED');
    expect(res.headers.get('retry-after')).toBe('86400');
  });
});
