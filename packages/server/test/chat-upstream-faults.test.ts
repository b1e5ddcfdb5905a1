import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildServer, type MojiServer } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { expectError } from './support/expect-error.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { findFreePort } from './support/free-port.js';
import { backend, startMoji, TEST_JWT_SECRET } from './support/moji.js';
import { createUser, postJson, type TestUser } from './support/users.js';

const UPSTREAM_KEY = 'sk-upstream-secret-0123456789';
const BODY_MARKER = 'upstream-body-marker-7f3a';
const hello = [{ role: 'user', content: 'Hello there' }];

let upstream: FakeUpstream;
let server: MojiServer;
let api: string;
let user: TestUser;
let dataDir: string;
const logLines: string[] = [];

// Built here rather than with startMoji, to read what the server logs.
beforeAll(async () => {
  upstream = await startFakeUpstream();
  dataDir = mkdtempSync(join(tmpdir(), 'moji-test-'));
  const config = loadConfig({
    MOJI_DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_PER_HOUR: '0',
    AUTH_LIMIT_PER_MINUTE: '0',
    LOGIN_FAILURES_PER_HOUR: '0',
    LLM_BASE_URL: upstream.baseUrl,
    LLM_API_KEY: UPSTREAM_KEY,
    UPSTREAM_TIMEOUT_MS: '400',
    ...(backend === 'real'
      ? {
          DATABASE_URL: process.env['DATABASE_URL'] ?? '',
          REDIS_URL: process.env['REDIS_URL'] ?? '',
        }
      : {}),
  });
  const log = pino({ level: 'trace' }, { write: (line: string) => logLines.push(line) });
  server = await buildServer(config, log);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  await server.database.ensureReady();
  api = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}/api/v1`;
  user = await createUser(api);
});

afterAll(async () => {
  await server?.app.close();
  await upstream?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function complete(body: Record<string, unknown> = {}) {
  return postJson(
    `${api}/chat/completions`,
    { model: 'm', messages: hello, ...body },
    user.headers,
  );
}

function errorBody(status: number) {
  return { status, json: { error: { message: `${BODY_MARKER} key ${UPSTREAM_KEY}` } } };
}

describe('upstream faults before the answer', () => {
  for (const stream of [false, true]) {
    const label = stream ? ' (stream: a JSON error, not an event stream)' : '';

    it(`returns 504 UPSTREAM_TIMEOUT when the upstream does not answer in time${label}`, async () => {
      const before = upstream.received.length;
      upstream.enqueue({ headersDelayMs: 1500 });
      const started = Date.now();
      const res = await complete({ stream });

      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      await expectError(res, 504, 'UPSTREAM_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(1400);
      // A timeout is not retried: it would only take longer.
      expect(upstream.received.length - before).toBe(1);
    });

    it(`retries a 5xx twice, then answers from the third try${label}`, async () => {
      const before = upstream.received.length;
      upstream.enqueue(errorBody(500), errorBody(503));
      const res = await complete({ stream });

      expect(res.status, await res.clone().text()).toBe(200);
      expect(upstream.received.length - before).toBe(3);
    });

    it(`returns 502 UPSTREAM_ERROR after three 5xx answers${label}`, async () => {
      const before = upstream.received.length;
      upstream.enqueue(errorBody(500), errorBody(502), errorBody(500));
      const res = await complete({ stream });

      await expectError(res, 502, 'UPSTREAM_ERROR');
      expect(upstream.received.length - before).toBe(3);
    });

    it(`passes an upstream 429 on with its Retry-After, without retrying${label}`, async () => {
      const before = upstream.received.length;
      upstream.enqueue({ ...errorBody(429), headers: { 'retry-after': '7' } });
      const res = await complete({ stream });

      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.headers.get('x-should-retry')).toBeNull();
      const error = await expectError(res, 429, 'RATE_LIMIT_EXCEEDED');
      expect(error.details).toMatchObject({ source: 'upstream' });
      expect(upstream.received.length - before).toBe(1);
    });
  }

  it('tells SDKs not to retry when the upstream asks for a wait over a minute', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    upstream.enqueue({ status: 429, headers: { 'retry-after': inTwoMinutes } });
    const res = await complete();

    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(110);
    expect(res.headers.get('x-should-retry')).toBe('false');
    await expectError(res, 429, 'RATE_LIMIT_EXCEEDED');
  });

  for (const status of [400, 413, 422]) {
    it(`turns an upstream ${status} into 400 VALIDATION_ERROR with a message of its own`, async () => {
      const before = upstream.received.length;
      upstream.enqueue(errorBody(status));
      const res = await complete();

      const error = await expectError(res, 400, 'VALIDATION_ERROR');
      expect(error.details).toMatchObject({ source: 'upstream' });
      expect(error.message).toBe('The model provider rejected the request as invalid');
      expect(upstream.received.length - before).toBe(1);
    });
  }

  for (const status of [401, 403, 409]) {
    it(`turns an upstream ${status} into 502 UPSTREAM_ERROR, without retrying`, async () => {
      const before = upstream.received.length;
      upstream.enqueue(errorBody(status));
      const res = await complete();

      await expectError(res, 502, 'UPSTREAM_ERROR');
      expect(upstream.received.length - before).toBe(1);
    });
  }

  it('retries a connection cut before any answer, then answers', async () => {
    const before = upstream.received.length;
    upstream.enqueue({ hangUp: true });
    const res = await complete();

    expect(res.status, await res.clone().text()).toBe(200);
    expect(upstream.received.length - before).toBe(2);
  });

  it('never shows the upstream body or key to the client or in the logs', async () => {
    const statuses = [400, 401, 404, 429, 500, 500, 500];
    upstream.enqueue(...statuses.map(errorBody));
    const texts: string[] = [];
    for (let call = 0; call < 5; call += 1) texts.push(await (await complete()).text());

    const everything = [...texts, ...logLines].join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    expect(everything).not.toContain(BODY_MARKER);
    expect(everything).not.toContain(UPSTREAM_KEY);
  });
});

describe('an upstream that refuses connections', () => {
  it('returns 502 UPSTREAM_ERROR after retrying, streamed or not', async () => {
    const port = await findFreePort();
    const moji = await startMoji({ LLM_BASE_URL: `http://127.0.0.1:${port}/v1` });
    try {
      const someone = await createUser(moji.api);
      for (const stream of [false, true]) {
        const started = Date.now();
        const res = await postJson(
          `${moji.api}/chat/completions`,
          { messages: hello, stream },
          someone.headers,
        );

        await expectError(res, 502, 'UPSTREAM_ERROR');
        // Two retries, after 200 and 500 ms.
        expect(Date.now() - started).toBeGreaterThanOrEqual(650);
      }
    } finally {
      await moji.close();
    }
  });
});
