import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { createUser, postJson, type TestUser } from './support/users.js';

let moji: RunningMoji;
let open: RunningMoji;

beforeAll(async () => {
  [moji, open] = await Promise.all([startMoji({ RATE_LIMIT_PER_HOUR: '5' }), startMoji()]);
});

afterAll(async () => {
  await Promise.all([moji?.close(), open?.close()]);
});

function remaining(res: Response): string | null {
  return res.headers.get('x-ratelimit-remaining');
}

function hasLimitHeaders(res: Response): boolean {
  return ['limit', 'remaining', 'reset'].some((name) => res.headers.has(`x-ratelimit-${name}`));
}

describe('X-RateLimit-* on authenticated responses', () => {
  it('are on errors too: 400, 404 and HEAD answers each cost a call', async () => {
    const user = await createUser(moji.api);
    const bad = await fetch(`${moji.api}/chat/sessions?limit=0`, { headers: user.headers });
    expect(bad.headers.get('x-ratelimit-limit')).toBe('5');
    expect(remaining(bad)).toBe('4');
    await expectError(bad, 400, 'VALIDATION_ERROR');

    const missing = await fetch(`${moji.api}/chat/sessions/0190a0a0-0000-7000-8000-000000000000`, {
      method: 'DELETE',
      headers: user.headers,
    });
    expect(remaining(missing)).toBe('3');
    await expectError(missing, 404, 'NOT_FOUND');

    const head = await fetch(`${moji.api}/auth/me`, { method: 'HEAD', headers: user.headers });
    expect(head.status).toBe(200);
    expect(remaining(head)).toBe('2');
    const reset = Number(head.headers.get('x-ratelimit-reset'));
    expect(Number.isInteger(reset)).toBe(true);
    expect(reset).toBeGreaterThan(Date.now() / 1000);
  });

  it('answer 429 before looking at the body, with Retry-After and Remaining 0', async () => {
    const user = await createUser(moji.api);
    for (let call = 0; call < 5; call += 1) {
      const res = await postJson(`${moji.api}/chat/sessions`, {}, user.headers);
      expect(res.status, await res.clone().text()).toBe(201);
    }
    const over = await postJson(
      `${moji.api}/chat/sessions`,
      { title: 'not a field' },
      user.headers,
    );
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(remaining(over)).toBe('0');
    await expectError(over, 429, 'RATE_LIMIT_EXCEEDED');
    expect(retryAfter).toBeGreaterThan(0);

    const sessions = await moji.server.database.db
      .selectFrom('chat_sessions')
      .select('id')
      .where('user_id', '=', user.id)
      .execute();
    expect(sessions).toHaveLength(5);
  });

  it('are absent on 401, on public routes and on 404/405 that come before auth', async () => {
    const user: TestUser = await createUser(moji.api);
    const answers = [
      await fetch(`${moji.api}/auth/me`),
      await fetch(`${moji.api}/auth/me`, { headers: { authorization: 'Bearer nope' } }),
      await fetch(`${moji.api}/health`, { headers: user.headers }),
      await postJson(`${moji.api}/auth/token`, {
        username: user.username,
        password: user.password,
      }),
      await fetch(`${moji.api}/nope`, { headers: user.headers }),
      await fetch(`${moji.api}/auth/me`, { method: 'PUT', headers: user.headers }),
    ];
    for (const res of answers) expect(hasLimitHeaders(res), `${res.url} ${res.status}`).toBe(false);
  });

  it('are never sent while the limit is 0', async () => {
    const user = await createUser(open.api);
    for (let call = 0; call < 3; call += 1) {
      const res = await fetch(`${open.api}/chat/sessions`, { headers: user.headers });
      expect(res.status).toBe(200);
      expect(hasLimitHeaders(res)).toBe(false);
    }
    const stream = await postJson(
      `${open.api}/chat/completions`,
      { model: 'echo', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      user.headers,
    );
    await stream.text();
    expect(hasLimitHeaders(stream)).toBe(false);
  });
});
