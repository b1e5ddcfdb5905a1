import { randomInt } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { createUser, postJson, uniqueName } from './support/users.js';

let moji: RunningMoji;

beforeAll(async () => {
  // Each test speaks from its own made-up address, so that counters kept in a shared Redis
  // by earlier runs cannot interfere.
  moji = await startMoji({
    AUTH_LIMIT_PER_MINUTE: '3',
    LOGIN_FAILURES_PER_HOUR: '2',
    TRUST_PROXY: '1',
  });
});

afterAll(async () => {
  await moji?.close();
});

function randomAddress(): Record<string, string> {
  const octets = [10, randomInt(256), randomInt(256), randomInt(1, 255)];

  return { 'x-forwarded-for': octets.join('.') };
}

function registration() {
  const username = uniqueName();

  return { username, password: 'password123', email: `${username}@example.com` };
}

describe('AUTH_LIMIT_PER_MINUTE', () => {
  it('returns 429 with Retry-After once an address has used its calls', async () => {
    const from = randomAddress();
    const first = await postJson(`${moji.api}/auth/register`, registration(), from);
    expect(first.status, await first.clone().text()).toBe(201);
    const body = registration();
    expect((await postJson(`${moji.api}/auth/register`, body, from)).status).toBe(201);
    const login = await postJson(
      `${moji.api}/auth/token`,
      { username: body.username, password: body.password },
      from,
    );
    expect(login.status, await login.clone().text()).toBe(200);

    const fourth = [
      ['/auth/token', { username: body.username, password: body.password }],
      ['/auth/register', registration()],
    ] as const;
    for (const [path, payload] of fourth) {
      const res = await postJson(`${moji.api}${path}`, payload, from);
      const retryAfter = Number(res.headers.get('retry-after'));
      const shouldRetry = res.headers.get('x-should-retry');
      const error = await expectError(res, 429, 'RATE_LIMIT_EXCEEDED');

      expect(error.type).toBe('rate_limit_error');
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(shouldRetry).toBeNull();
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  it('does not touch other addresses', async () => {
    const from = randomAddress();
    for (let call = 0; call < 4; call += 1) {
      await postJson(`${moji.api}/auth/token`, { username: 'nobody', password: 'whatever1' }, from);
    }
    const other = await postJson(`${moji.api}/auth/register`, registration(), randomAddress());

    expect(other.status, await other.clone().text()).toBe(201);
  });
});

describe('LOGIN_FAILURES_PER_HOUR', () => {
  it('returns 429 for a username after its failures, even with the right password', async () => {
    const user = await createUser(moji.api, 'locked', randomAddress());
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const wrong = await postJson(
        `${moji.api}/auth/token`,
        { username: user.username, password: 'wrong password' },
        randomAddress(),
      );
      await expectError(wrong, 401, 'AUTH_FAILED');
    }

    const right = await postJson(
      `${moji.api}/auth/token`,
      { username: user.username.toUpperCase(), password: user.password },
      randomAddress(),
    );
    const retryAfter = Number(right.headers.get('retry-after'));
    const shouldRetry = right.headers.get('x-should-retry');
    await expectError(right, 429, 'RATE_LIMIT_EXCEEDED');

    expect(retryAfter).toBeGreaterThan(60);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(shouldRetry).toBe('false');
  });

  it('leaves other usernames alone', async () => {
    const user = await createUser(moji.api, 'free', randomAddress());
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await postJson(
        `${moji.api}/auth/token`,
        { username: uniqueName('ghost'), password: 'wrong password' },
        randomAddress(),
      );
    }
    const res = await postJson(
      `${moji.api}/auth/token`,
      { username: user.username, password: user.password },
      randomAddress(),
    );

    expect(res.status, await res.clone().text()).toBe(200);
  });
});
