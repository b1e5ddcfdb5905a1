import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { faultSkipReason, titled } from './support/fault-plan.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { startPostgres, type PostgresInstance } from './support/postgres-instance.js';
import { startSlowUpstream } from './support/slow-upstream.js';
import { createUser, postJson, uniqueName, type TestUser } from './support/users.js';

const skipReason = faultSkipReason();

let postgres: PostgresInstance | undefined;
let moji: RunningMoji;

// Limits are kept in process here: these tests are about the database alone.
const env = (url: string) => ({ DATABASE_URL: url, REDIS_URL: '' });

async function timedFetch(url: string, init?: RequestInit) {
  const started = Date.now();
  const res = await fetch(url, init);
  const text = await res.text();

  return { res, text, ms: Date.now() - started };
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`gave up waiting: ${what}`);
}

/** The calls a signed-in user makes, each needing the database. */
function databaseCalls(
  api: string,
  user: TestUser,
  sessionId: string,
): [string, () => Promise<Response>][] {
  // A completion without a session may be served from the cached user; usage waits in a queue.
  const completion = {
    model: 'echo',
    session_id: sessionId,
    messages: [{ role: 'user', content: 'hello' }],
  };

  return [
    ['GET /auth/me', () => fetch(`${api}/auth/me`, { headers: user.headers })],
    ['GET /chat/sessions', () => fetch(`${api}/chat/sessions`, { headers: user.headers })],
    ['POST /chat/sessions', () => postJson(`${api}/chat/sessions`, {}, user.headers)],
    ['POST /chat/completions', () => postJson(`${api}/chat/completions`, completion, user.headers)],
    [
      'POST /chat/completions (stream)',
      () => postJson(`${api}/chat/completions`, { ...completion, stream: true }, user.headers),
    ],
    [
      'POST /auth/token',
      () => postJson(`${api}/auth/token`, { username: user.username, password: user.password }),
    ],
  ];
}

async function expectUnavailable(name: string, call: () => Promise<Response>) {
  const started = Date.now();
  const res = await call();
  const retryAfter = res.headers.get('retry-after');
  await expectError(res, 503, 'SERVICE_UNAVAILABLE');
  expect(Date.now() - started, name).toBeLessThan(3000);
  expect(retryAfter, name).toMatch(/^\d+$/);
}

async function expectHealth(api: string, status: number, maxMs: number) {
  const { res, text, ms } = await timedFetch(`${api}/health`);
  expect(res.status, text).toBe(status);
  expect(ms).toBeLessThan(maxMs);
  const body = JSON.parse(text) as { status: string; services: { database: string } };
  expect(body.services.database).toBe(status === 200 ? 'healthy' : 'unhealthy');
  if (status === 503) expect(body.status).toBe('unhealthy');
}

describe.skipIf(skipReason !== undefined)(
  titled('with PostgreSQL stopped, frozen or cut off (L3)', skipReason),
  () => {
    beforeAll(async () => {
      postgres = await startPostgres();
      moji = await startMoji(env(postgres.url));
    });

    afterAll(async () => {
      await moji?.close();
      await postgres?.destroy();
    });

    it('answers 503 quickly while PostgreSQL is stopped, /health within two seconds, and resumes alone', async () => {
      const user = await createUser(moji.api);
      const session = await postJson(
        `${moji.api}/chat/sessions`,
        { initial_message: 'kept' },
        user.headers,
      );
      expect(session.status, await session.clone().text()).toBe(201);

      const sessionId = ((await session.clone().json()) as { id: string }).id;

      await postgres?.stop('fast');
      for (const [name, call] of databaseCalls(moji.api, user, sessionId))
        await expectUnavailable(name, call);
      await expectUnavailable('POST /auth/register', () =>
        postJson(`${moji.api}/auth/register`, {
          username: uniqueName(),
          password: 'password123',
          email: 'x@example.com',
        }),
      );
      await expectHealth(moji.api, 503, 2000);
      const trpc = await timedFetch(`${moji.origin}/trpc/auth.me`, { headers: user.headers });
      expect(trpc.res.status, trpc.text).toBe(503);
      expect(JSON.parse(trpc.text)).toMatchObject({
        error: { data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 } },
      });

      await postgres?.start();
      await waitFor(
        async () => (await fetch(`${moji.api}/auth/me`, { headers: user.headers })).status === 200,
        'service back',
      );
      await expectHealth(moji.api, 200, 2000);
      const list = (await (
        await fetch(`${moji.api}/chat/sessions`, { headers: user.headers })
      ).json()) as {
        data: { id: string }[];
      };
      expect(list.data.map((item) => item.id)).toContain(sessionId);
    });

    it('answers /health within two seconds and requests with 503 while PostgreSQL is frozen', async () => {
      const user = await createUser(moji.api);
      // Fill the pool, so that frozen sessions are among the connections it would lend.
      await Promise.all(
        Array.from({ length: 12 }, () =>
          fetch(`${moji.api}/chat/sessions`, { headers: user.headers }),
        ),
      );

      postgres?.pause();
      try {
        await expectHealth(moji.api, 503, 2000);
        const calls = databaseCalls(moji.api, user, crypto.randomUUID()).slice(0, 3);
        const answers = await Promise.all(
          calls.map(async ([name, call]) => ({ name, ...(await timed(call)) })),
        );
        for (const answer of answers) {
          expect(answer.status, `${answer.name}: ${answer.text}`).toBe(503);
          expect(answer.ms, answer.name).toBeLessThan(12_000);
        }
      } finally {
        postgres?.resume();
      }
      await waitFor(
        async () => (await fetch(`${moji.api}/auth/me`, { headers: user.headers })).status === 200,
        'thaw',
      );
    });

    it('recovers by itself when its connections are killed, with no 500 on the way', async () => {
      const user = await createUser(moji.api);
      const statuses: number[] = [];
      const load = async () => {
        for (let call = 0; call < 40; call += 1) {
          const res = await postJson(
            `${moji.api}/chat/sessions`,
            { initial_message: `n${call}` },
            user.headers,
          );
          statuses.push(res.status);
          await res.text();
        }
      };
      const killer = async () => {
        for (let round = 0; round < 4; round += 1) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          await postgres?.terminateConnections();
        }
      };
      await Promise.all([load(), load(), load(), killer()]);

      expect(statuses.filter((status) => status !== 201 && status !== 503)).toEqual([]);
      await waitFor(
        async () =>
          (await fetch(`${moji.api}/chat/sessions`, { headers: user.headers })).status === 200,
        'recovery',
        5000,
      );
      for (let call = 0; call < 5; call += 1) {
        const res = await fetch(`${moji.api}/chat/sessions?limit=1`, { headers: user.headers });
        expect(res.status, await res.clone().text()).toBe(200);
      }
    });

    it('takes 200 registrations at once without exhausting the pool', async () => {
      const prefix = uniqueName('burst');
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          postJson(`${moji.api}/auth/register`, {
            username: `${prefix}_${index}`,
            password: 'password123',
            email: `${prefix}_${index}@example.com`,
          }).then(async (res) => ({ status: res.status, text: await res.text() })),
        ),
      );
      const failed = answers.filter((answer) => answer.status !== 201);

      expect(failed.slice(0, 3), `${failed.length} of 200 failed`).toEqual([]);
      const login = await postJson(`${moji.api}/auth/token`, {
        username: `${prefix}_199`,
        password: 'password123',
      });
      expect(login.status, await login.clone().text()).toBe(200);
    }, 120_000);

    it('does not end a stream with [DONE] when its turn could not be stored', async () => {
      const upstream = await startSlowUpstream();
      const server = await startMoji({
        ...env(postgres?.url ?? ''),
        LLM_BASE_URL: upstream.baseUrl,
      });
      try {
        const user = await createUser(server.api);
        const made = await postJson(`${server.api}/chat/sessions`, {}, user.headers);
        const sessionId = ((await made.json()) as { id: string }).id;
        const res = await postJson(
          `${server.api}/chat/completions`,
          {
            stream: true,
            session_id: sessionId,
            messages: [{ role: 'user', content: 'slow:8:150' }],
          },
          user.headers,
        );
        expect(res.status).toBe(200);
        const streamed = res.text();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await postgres?.stop('fast');
        const text = await streamed;
        await postgres?.start();

        expect(text).not.toContain('data: [DONE]');
        const events = text.split('\n\n').filter((event) => event.startsWith('data: {'));
        const last = JSON.parse(events.at(-1)?.slice(6) ?? '{}') as { error?: { code?: string } };
        expect(last.error?.code, text.slice(-500)).toBe('SERVICE_UNAVAILABLE');
      } finally {
        if (postgres && !postgres.isRunning()) await postgres.start();
        await server.close();
        await upstream.close();
      }
    });
  },
);

async function timed(call: () => Promise<Response>) {
  const started = Date.now();
  const res = await call();

  return { status: res.status, text: await res.text(), ms: Date.now() - started };
}

describe.skipIf(skipReason !== undefined)(
  titled('a server started while PostgreSQL is down', skipReason),
  () => {
    it('answers 503, then migrates and makes its admin when PostgreSQL comes up', async () => {
      const late = await startPostgres();
      await late.stop('fast');
      const admin = { username: uniqueName('lateadmin'), password: 'late admin password' };
      const server = await startMoji(
        {
          ...env(late.url),
          ADMIN_USERNAME: admin.username,
          ADMIN_PASSWORD: admin.password,
          ADMIN_EMAIL: 'late@example.com',
        },
        { waitForDatabase: false },
      );
      try {
        const register = () =>
          postJson(`${server.api}/auth/register`, {
            username: uniqueName(),
            password: 'password123',
            email: `${uniqueName()}@example.com`,
          });
        await expectUnavailable('POST /auth/register', register);
        await expectUnavailable('POST /auth/token', () =>
          postJson(`${server.api}/auth/token`, admin),
        );
        await expectHealth(server.api, 503, 2000);

        await late.start();
        await waitFor(async () => (await register()).status === 201, 'migrated');
        const login = await postJson(`${server.api}/auth/token`, admin);
        expect(login.status, await login.clone().text()).toBe(200);
        await expectHealth(server.api, 200, 2000);
      } finally {
        await server.close();
        await late.destroy();
      }
    });
  },
);
