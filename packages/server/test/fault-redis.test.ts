import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { faultSkipReason, titled } from './support/fault-plan.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { startPostgres, type PostgresInstance } from './support/postgres-instance.js';
import { startRedis, type RedisInstance } from './support/redis-instance.js';
import { createUser, postJson, uniqueName, type TestUser } from './support/users.js';

const skipReason = faultSkipReason();

let postgres: PostgresInstance | undefined;
let redis: RedisInstance | undefined;
let inspector: Redis | undefined;
let moji: RunningMoji;

async function timed(run: () => Promise<Response>) {
  const started = Date.now();
  const res = await run();
  const text = await res.text();

  return { res, text, ms: Date.now() - started };
}

/** Asserts the rate-limit headers are whole numbers, never NaN, empty or negative. */
function expectSaneLimitHeaders(res: Response) {
  for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
    expect(res.headers.get(name), name).toMatch(/^\d+$/);
  }
}

async function readHealth() {
  const { res, text, ms } = await timed(() => fetch(`${moji.api}/health`));

  return {
    status: res.status,
    body: JSON.parse(text) as { status: string; services: Record<string, string> },
    ms,
  };
}

async function waitForRedisHealthy() {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await readHealth()).body.services['redis'] === 'healthy') return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('Moji did not see Redis come back within 20 s');
}

async function callMe(user: TestUser) {
  const result = await timed(() => fetch(`${moji.api}/auth/me`, { headers: user.headers }));
  expect(result.res.status, result.text).toBe(200);
  expectSaneLimitHeaders(result.res);
  expect(result.ms).toBeLessThan(1500);

  return result.res;
}

describe.skipIf(skipReason !== undefined)(
  titled('with Redis stopped or frozen (L2)', skipReason),
  () => {
    beforeAll(async () => {
      [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
      inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      moji = await startMoji({
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        RATE_LIMIT_PER_HOUR: '50',
      });
    });

    afterAll(async () => {
      inspector?.disconnect();
      await moji?.close();
      await Promise.all([redis?.destroy(), postgres?.destroy()]);
    });

    it('serves every call on the in-process limiter, says degraded, and goes back to Redis', async () => {
      const user = await createUser(moji.api);
      expect((await callMe(user)).headers.get('x-ratelimit-remaining')).toBe('49');
      await inspector?.connect();
      expect(await inspector?.get(`moji:rl:user:${user.id}`)).toBe('1');

      await redis?.stop();
      inspector?.disconnect();
      for (let call = 0; call < 10; call += 1) await callMe(user);
      const degraded = await readHealth();
      expect(degraded.status).toBe(200);
      expect(degraded.body).toMatchObject({
        status: 'degraded',
        services: { database: 'healthy', redis: 'unhealthy' },
      });
      expect(degraded.ms).toBeLessThan(2000);

      // The per-address and per-username limiters fall back as well.
      const username = uniqueName('redisdown');
      const registered = await postJson(`${moji.api}/auth/register`, {
        username,
        password: 'password123',
        email: `${username}@example.com`,
      });
      expect(registered.status, await registered.clone().text()).toBe(201);
      const login = await postJson(`${moji.api}/auth/token`, { username, password: 'password123' });
      expect(login.status, await login.clone().text()).toBe(200);

      await redis?.start();
      await waitForRedisHealthy();
      // A fresh Redis counts from zero: three calls now show in Redis and in the headers.
      for (let call = 0; call < 3; call += 1) await callMe(user);
      await inspector?.connect();
      expect(await inspector?.get(`moji:rl:user:${user.id}`)).toBe('3');
      const last = await callMe(user);
      expect(last.headers.get('x-ratelimit-remaining')).toBe('46');
      expect((await readHealth()).body.status).toBe('healthy');
    });

    it('answers within a second and a half while Redis is frozen, and recovers when it thaws', async () => {
      const user = await createUser(moji.api);
      await callMe(user);

      redis?.pause();
      try {
        for (let call = 0; call < 5; call += 1) await callMe(user);
        const degraded = await readHealth();
        expect(degraded.body).toMatchObject({
          status: 'degraded',
          services: { redis: 'unhealthy' },
        });
        expect(degraded.ms).toBeLessThan(2000);
      } finally {
        redis?.resume();
      }
      await waitForRedisHealthy();
      await callMe(user);
    });

    it('still limits a user while Redis is down', async () => {
      const user = await createUser(moji.api);
      await redis?.stop();
      try {
        const statuses: number[] = [];
        for (let call = 0; call < 52; call += 1) {
          const res = await fetch(`${moji.api}/models`, { headers: user.headers });
          expectSaneLimitHeaders(res);
          statuses.push(res.status);
        }
        expect(statuses.slice(0, 50).every((status) => status === 200)).toBe(true);
        expect(statuses.slice(50)).toEqual([429, 429]);
      } finally {
        await redis?.start();
      }
      await waitForRedisHealthy();
    });
  },
);
