import { createServer } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { readJson } from './support/read-json.js';
import { createTestClient, expectTrpcError } from './support/trpc.js';
import { postJson } from './support/users.js';

// A PostgreSQL URL on a port nothing listens on: the database is down from the start.
let moji: RunningMoji;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));

  return typeof address === 'object' && address ? address.port : 0;
}

beforeAll(async () => {
  const port = await freePort();
  moji = await startMoji(
    { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` },
    { waitForDatabase: false },
  );
});

afterAll(async () => {
  await moji?.close();
});

describe('with the database down', () => {
  it('answers /health with 503 and its own body, quickly', async () => {
    const started = Date.now();
    const res = await fetch(`${moji.api}/health`);

    expect(res.status, await res.clone().text()).toBe(503);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const body = await readJson(res);
    expect(body).toMatchObject({ status: 'unhealthy', services: { database: 'unhealthy' } });
    const head = await fetch(`${moji.api}/health`, { method: 'HEAD' });
    expect(head.status).toBe(503);
    expect(await head.text()).toBe('');
  });

  it('answers REST routes with 503 SERVICE_UNAVAILABLE and Retry-After', async () => {
    const calls = [
      postJson(`${moji.api}/auth/register`, {
        username: 'nobody_here',
        password: 'password123',
        email: 'nobody@example.com',
      }),
      postJson(`${moji.api}/auth/token`, { username: 'nobody_here', password: 'password123' }),
      fetch(`${moji.api}/auth/me`, { headers: { authorization: 'Bearer x.y.z' } }),
      fetch(`${moji.api}/chat/sessions`),
    ];
    for (const res of await Promise.all(calls)) {
      const retryAfter = res.headers.get('retry-after');
      const error = await expectError(res, 503, 'SERVICE_UNAVAILABLE');
      expect(error.type).toBe('api_error');
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect(error.message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
    }
  });

  it('still answers what needs no database: 404, 405 and bad bodies', async () => {
    await expectError(await fetch(`${moji.api}/nope`), 404, 'NOT_FOUND');
    await expectError(
      await fetch(`${moji.api}/health`, { method: 'PUT' }),
      405,
      'METHOD_NOT_ALLOWED',
    );
    const broken = await fetch(`${moji.api}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":',
    });
    await expectError(broken, 400, 'VALIDATION_ERROR');
  });

  it("answers /trpc calls in tRPC's shape with SERVICE_UNAVAILABLE 503 in error.data", async () => {
    const { client, last } = createTestClient(moji.origin, 'x.y.z');
    await expectTrpcError(client.auth.me.query(), 503, 'SERVICE_UNAVAILABLE');
    expect(last.status).toBe(503);
    expect(last.headers.get('x-request-id')).toBeTruthy();
    await expectTrpcError(
      client.auth.register.mutate({
        username: 'nobody_x',
        password: 'password123',
        email: 'n@example.com',
      }),
      503,
      'SERVICE_UNAVAILABLE',
    );
    const health = await client.health.get.query();
    expect(health.status).toBe('unhealthy');
  });
});
