import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { readJson } from './support/read-json.js';
import { createUser } from './support/users.js';

let moji: RunningMoji;

beforeAll(async () => {
  // The hourly limit is on: /health must stay free of it and of its headers.
  moji = await startMoji({ RATE_LIMIT_PER_HOUR: '5' });
});

afterAll(async () => {
  await moji?.close();
});

describe('GET /health', () => {
  it('returns 200 with the state of every service', async () => {
    const res = await fetch(`${moji.api}/health`);

    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const body = await readJson(res);
    expect(Object.keys(body).sort()).toEqual(['services', 'status', 'timestamp', 'version']);
    expect(body).toMatchObject({
      status: 'healthy',
      version: '1.0.0',
      services: {
        database: 'healthy',
        redis: moji.backend === 'real' ? 'healthy' : 'disabled',
        model: 'echo',
      },
    });
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Math.abs(Date.parse(body.timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it('costs nothing and carries no rate-limit headers, even with a token', async () => {
    const user = await createUser(moji.api);
    for (let call = 0; call < 8; call += 1) {
      const res = await fetch(`${moji.api}/health`, { headers: user.headers });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      expect(res.headers.get('x-ratelimit-remaining')).toBeNull();
    }
    const me = await fetch(`${moji.api}/auth/me`, { headers: user.headers });
    expect(me.status, await me.clone().text()).toBe(200);
    expect(me.headers.get('x-ratelimit-remaining')).toBe('4');
  });

  it('is served with a trailing slash and in any letter case', async () => {
    for (const path of ['/health/', '/HEALTH', '/Health/']) {
      const res = await fetch(`${moji.api}${path}`);
      expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
      expect((await readJson(res)).status).toBe('healthy');
    }
  });

  it('ignores a query string', async () => {
    const res = await fetch(`${moji.api}/health?verbose=1`);

    expect(res.status, await res.clone().text()).toBe(200);
  });
});

describe('HEAD /health', () => {
  it('answers as GET does, without a body', async () => {
    const get = await fetch(`${moji.api}/health`);
    const head = await fetch(`${moji.api}/health`, { method: 'HEAD' });

    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
    expect(head.headers.get('x-request-id')).toBeTruthy();
    expect(head.headers.get('x-request-id')).not.toBe(get.headers.get('x-request-id'));
  });
});

describe('other methods on /health', () => {
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    it(`returns 405 with Allow for ${method}`, async () => {
      const res = await fetch(`${moji.api}/health`, { method });
      const allow = res.headers.get('allow');
      const error = await expectError(res, 405, 'METHOD_NOT_ALLOWED');

      expect(allow?.split(/,\s*/).sort()).toEqual(['GET', 'HEAD']);
      expect(error.type).toBe('invalid_request_error');
    });
  }

  it('returns 405 for POST even with a JSON body', async () => {
    const res = await fetch(`${moji.api}/health`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });

    await expectError(res, 405, 'METHOD_NOT_ALLOWED');
  });
});
