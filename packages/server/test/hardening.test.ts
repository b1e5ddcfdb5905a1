import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError, expectRawError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { rawRequest } from './support/raw-request.js';
import { createUser, postJson, uniqueName } from './support/users.js';

// Regression tests for what an adversarial review of the server found.

let moji: RunningMoji;

beforeAll(async () => {
  moji = await startMoji({ LOGIN_FAILURES_PER_HOUR: '3', CORS_ORIGINS: 'http://app.example' });
});

afterAll(async () => {
  await moji?.close();
});

interface TrpcErrorBody {
  error: { data: { code: string; httpStatus: number } };
}

describe('/trpc paths and methods', () => {
  it('answers a broken %-escape in a procedure path with 404 and keeps serving', async () => {
    const res = await rawRequest(moji.origin, { method: 'GET', path: '/trpc/auth.me%ZZ' });

    expect(res.status, res.text).toBe(404);
    expect((res.json as TrpcErrorBody).error.data.code).toBe('NOT_FOUND');
    const health = await fetch(`${moji.api}/health`);
    expect(health.status).toBe(200);
  });

  it('serves a batch whose joined procedure names are long', async () => {
    const user = await createUser(moji.api);
    const calls = Array.from({ length: 12 }, () => 'auth.me').join(',');
    const res = await fetch(`${moji.origin}/trpc/${calls}?batch=1`, { headers: user.headers });

    expect(res.status, await res.clone().text()).toBe(200);
    const results = (await res.json()) as { result: { data: { id: string } } }[];
    expect(results).toHaveLength(12);
    expect(results.every((item) => item.result.data.id === user.id)).toBe(true);
  });

  it.each(['HEAD', 'PUT', 'DELETE', 'PATCH', 'TRACE'])(
    'answers %s with 405 and Allow: GET, POST',
    async (method) => {
      const res = await rawRequest(moji.origin, { method, path: '/trpc/auth.me' });

      expect(res.status, res.text).toBe(405);
      expect(res.headers['allow']).toBe('GET, POST');
      expect(res.headers['x-request-id']).toBeTruthy();
      if (method !== 'HEAD') {
        expect((res.json as TrpcErrorBody).error.data.code).toBe('METHOD_NOT_ALLOWED');
      }
    },
  );
});

describe('REST edge cases', () => {
  it('answers a malformed Host header in the envelope', async () => {
    const user = await createUser(moji.api);
    const res = await rawRequest(moji.origin, {
      method: 'GET',
      path: '/api/v1/chat/sessions',
      headers: { host: '[', authorization: `Bearer ${user.token}` },
    });

    expect(res.status).toBeLessThan(500);
    expectRawError(res, res.status, (res.json as { error: { code: string } }).error.code);
  });

  it('refuses an empty model name with 400', async () => {
    const user = await createUser(moji.api);
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: '', messages: [{ role: 'user', content: 'hi' }] },
      user.headers,
    );

    await expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('lets browser apps delete and patch across origins', async () => {
    const res = await fetch(`${moji.api}/chat/sessions/x`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'DELETE' },
    });

    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
  });
});

describe('failed logins per username', () => {
  it('checks no more guesses than the limit when they are sent at once', async () => {
    const username = uniqueName('guess');
    const password = 'correct horse battery';
    const made = await postJson(`${moji.api}/auth/register`, {
      username,
      password,
      email: `${username}@example.com`,
    });
    expect(made.status, await made.clone().text()).toBe(201);

    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        postJson(`${moji.api}/auth/token`, { username, password: `wrong-guess-${index}` }),
      ),
    );
    const statuses = guesses.map((res) => res.status);

    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
  });

  it('does not count successful logins', async () => {
    const user = await createUser(moji.api);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const res = await postJson(`${moji.api}/auth/token`, {
        username: user.username,
        password: user.password,
      });
      expect(res.status, await res.clone().text()).toBe(200);
    }
  });
});

describe('answering a stored message', () => {
  it('stores one reply when several requests with messages: [] race', async () => {
    const user = await createUser(moji.api);
    const made = await postJson(
      `${moji.api}/chat/sessions`,
      { initial_message: 'answer me once' },
      user.headers,
    );
    const session = (await made.json()) as { id: string };

    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        postJson(
          `${moji.api}/chat/completions`,
          { model: 'echo', session_id: session.id, messages: [] },
          user.headers,
        ),
      ),
    );
    const statuses = answers.map((res) => res.status);

    expect(
      statuses.filter((status) => status === 200),
      String(statuses),
    ).toHaveLength(1);
    expect(
      statuses.every((status) => [200, 400, 409].includes(status)),
      String(statuses),
    ).toBe(true);
    const listed = await fetch(`${moji.api}/chat/sessions/${session.id}/messages`, {
      headers: user.headers,
    });
    const { data } = (await listed.json()) as { data: { role: string }[] };
    expect(data.map((message) => message.role)).toEqual(['user', 'assistant']);
  });
});

describe('the docs page', () => {
  it("sends the renderer's own document address to the served document", async () => {
    const json = await fetch(`${moji.origin}/docs/openapi.json`, { redirect: 'manual' });
    const yaml = await fetch(`${moji.origin}/docs/openapi.yaml`);

    expect(json.status).toBe(301);
    expect(json.headers.get('location')).toBe('/api/v1/openapi.json');
    await expectError(yaml, 404, 'NOT_FOUND');
  });
});
