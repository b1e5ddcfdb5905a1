import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { createUser, postJson, type TestUser } from './support/users.js';

let moji: RunningMoji;
let tight: RunningMoji;

beforeAll(async () => {
  [moji, tight] = await Promise.all([
    startMoji({ RATE_LIMIT_PER_HOUR: '100' }),
    startMoji({ RATE_LIMIT_PER_HOUR: '2' }),
  ]);
});

afterAll(async () => {
  await Promise.all([moji?.close(), tight?.close()]);
});

function limitHeaders(res: Response) {
  return {
    limit: res.headers.get('x-ratelimit-limit'),
    remaining: res.headers.get('x-ratelimit-remaining'),
    reset: res.headers.get('x-ratelimit-reset'),
  };
}

function streamCompletion(api: string, user: TestUser, body: Record<string, unknown> = {}) {
  return postJson(
    `${api}/chat/completions`,
    {
      model: 'echo',
      stream: true,
      messages: [{ role: 'user', content: 'count me once' }],
      ...body,
    },
    user.headers,
  );
}

describe('the hourly limit per user (L1)', () => {
  it('counts 99 down to 0 over 100 calls, then answers 429 with Remaining 0 and the same Reset', async () => {
    const user = await createUser(moji.api);
    const resets = new Set<string | null>();
    for (let call = 1; call <= 100; call += 1) {
      const res = await fetch(`${moji.api}/auth/me`, { headers: user.headers });
      expect(res.status, await res.clone().text()).toBe(200);
      const headers = limitHeaders(res);
      expect(headers).toMatchObject({ limit: '100', remaining: String(100 - call) });
      resets.add(headers.reset);
    }
    expect(resets.size).toBe(1);
    const reset = Number([...resets][0]);
    const now = Date.now() / 1000;
    expect(reset).toBeGreaterThan(now + 3500);
    expect(reset).toBeLessThanOrEqual(Math.ceil(now) + 3600);

    for (let call = 101; call <= 105; call += 1) {
      const res = await fetch(`${moji.api}/auth/me`, { headers: user.headers });
      const headers = limitHeaders(res);
      const retryAfter = Number(res.headers.get('retry-after'));
      const shouldRetry = res.headers.get('x-should-retry');
      await expectError(res, 429, 'RATE_LIMIT_EXCEEDED');
      expect(headers).toEqual({ limit: '100', remaining: '0', reset: String(reset) });
      expect(retryAfter).toBeGreaterThan(60);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(shouldRetry).toBe('false');
    }

    const other = await createUser(moji.api);
    const fresh = await fetch(`${moji.api}/models`, { headers: other.headers });
    expect(fresh.status, await fresh.clone().text()).toBe(200);
    expect(limitHeaders(fresh)).toMatchObject({ limit: '100', remaining: '99' });
  });

  it('charges a streamed completion exactly one call, with the headers on the stream', async () => {
    const user = await createUser(moji.api);
    const before = await fetch(`${moji.api}/auth/me`, { headers: user.headers });
    expect(limitHeaders(before).remaining).toBe('99');

    const stream = await streamCompletion(moji.api, user);
    const text = await stream.text();
    expect(stream.status, text).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(limitHeaders(stream)).toMatchObject({ limit: '100', remaining: '98' });
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);

    const after = await fetch(`${moji.api}/auth/me`, { headers: user.headers });
    expect(limitHeaders(after).remaining).toBe('97');
  });

  it('answers a streamed completion over the limit with a JSON 429, not a stream', async () => {
    const user = await createUser(tight.api);
    for (const expected of ['1', '0']) {
      const res = await streamCompletion(tight.api, user);
      expect(res.status, await res.clone().text()).toBe(200);
      await res.text();
      expect(limitHeaders(res).remaining).toBe(expected);
    }
    const over = await streamCompletion(tight.api, user);
    const headers = limitHeaders(over);
    expect(over.headers.get('content-type')).toMatch(/^application\/json/);
    await expectError(over, 429, 'RATE_LIMIT_EXCEEDED');
    expect(headers).toMatchObject({ limit: '2', remaining: '0' });
  });

  it('charges a tRPC batch one call per procedure and shows the state after the last', async () => {
    const user = await createUser(moji.api);
    const input = encodeURIComponent(JSON.stringify({}));
    const res = await fetch(
      `${moji.origin}/trpc/auth.me,models.list,auth.me?batch=1&input=${input}`,
      {
        headers: user.headers,
      },
    );
    expect(res.status, await res.clone().text()).toBe(200);
    expect(limitHeaders(res)).toMatchObject({ limit: '100', remaining: '97' });

    const next = await fetch(`${moji.api}/auth/me`, { headers: user.headers });
    expect(limitHeaders(next).remaining).toBe('96');
  });

  it('leaves /health free and sends no limit headers where the limit is off', async () => {
    const user = await createUser(moji.api);
    const health = await fetch(`${moji.api}/health`, { headers: user.headers });
    expect(limitHeaders(health)).toEqual({ limit: null, remaining: null, reset: null });
    const me = await fetch(`${moji.api}/auth/me`, { headers: user.headers });
    expect(limitHeaders(me).remaining).toBe('99');
  });
});
