import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError, expectRawError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { readJson } from './support/read-json.js';
import { rawRequest } from './support/raw-request.js';
import { createUser, postJson, uniqueName, type TestUser } from './support/users.js';

let moji: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  moji = await startMoji();
  user = await createUser(moji.api);
});

afterAll(async () => {
  await moji?.close();
});

function allowOf(res: Response): string[] {
  return (res.headers.get('allow') ?? '').split(/,\s*/).filter(Boolean).sort();
}

describe('R1: unknown routes and wrong methods', () => {
  for (const path of [
    '/api/v1/nope',
    '/api/v1',
    '/api/v1/',
    '/api/v1/chat',
    '/nope',
    '/',
    '/api/v2/health',
  ]) {
    it(`returns 404 NOT_FOUND in the envelope for GET ${path}`, async () => {
      const res = await fetch(`${moji.origin}${path}`);
      const error = await expectError(res, 404, 'NOT_FOUND');

      expect(error.type).toBe('invalid_request_error');
    });
  }

  it('returns 404, not 204, for HEAD on an unknown route', async () => {
    for (const path of ['/api/v1/nope', '/nope', '/api/v1/chat/sessions/x/y/z']) {
      const res = await fetch(`${moji.origin}${path}`, { method: 'HEAD' });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('returns 404 for POST on an unknown route, with or without a token', async () => {
    await expectError(await postJson(`${moji.api}/nope`, {}), 404, 'NOT_FOUND');
    await expectError(await postJson(`${moji.api}/nope`, {}, user.headers), 404, 'NOT_FOUND');
  });

  const wrongMethods: [string, string, string[]][] = [
    ['PUT', '/auth/me', ['GET', 'HEAD']],
    ['POST', '/auth/me', ['GET', 'HEAD']],
    ['GET', '/auth/token', ['POST']],
    ['DELETE', '/auth/register', ['POST']],
    ['POST', '/models', ['GET', 'HEAD']],
    ['GET', '/chat/completions', ['POST']],
    ['PATCH', '/chat/sessions', ['GET', 'HEAD', 'POST']],
    ['DELETE', '/chat/sessions', ['GET', 'HEAD', 'POST']],
    ['GET', '/chat/sessions/0190a0a0-0000-7000-8000-000000000000', ['DELETE']],
    ['POST', '/chat/sessions/anything/messages', ['GET', 'HEAD']],
  ];
  for (const [method, path, allow] of wrongMethods) {
    it(`returns 405 with Allow for ${method} ${path}`, async () => {
      const res = await fetch(`${moji.api}${path}`, { method });
      const allowed = allowOf(res);
      await expectError(res, 405, 'METHOD_NOT_ALLOWED');

      expect(allowed).toEqual(allow);
    });
  }

  it('answers 405 before asking for a token', async () => {
    const res = await fetch(`${moji.api}/chat/completions`, { method: 'PUT' });

    await expectError(res, 405, 'METHOD_NOT_ALLOWED');
  });
});

describe('paths: letter case and trailing slash', () => {
  it('serves a route with a trailing slash and in another letter case', async () => {
    for (const path of ['/auth/me/', '/AUTH/ME', '/Auth/Me/']) {
      const res = await fetch(`${moji.api}${path}`, { headers: user.headers });
      expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
      expect((await readJson(res)).id).toBe(user.id);
    }
  });

  it('creates, lists and deletes sessions through odd spellings of the path', async () => {
    const created = await postJson(`${moji.api}/Chat/Sessions/`, {}, user.headers);
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = await readJson(created);

    const listed = await fetch(`${moji.api}/CHAT/sessions/${id}/MESSAGES/`, {
      headers: user.headers,
    });
    expect(listed.status, await listed.clone().text()).toBe(200);

    const deleted = await fetch(`${moji.api}/chat/SESSIONS/${id}/`, {
      method: 'DELETE',
      headers: user.headers,
    });
    expect(deleted.status, await deleted.clone().text()).toBe(204);
  });

  it('streams a completion asked for on an odd spelling of the path', async () => {
    const res = await postJson(
      `${moji.api}/Chat/Completions/`,
      { model: 'echo', stream: true, messages: [{ role: 'user', content: 'hi there' }] },
      user.headers,
    );

    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(await res.text()).toContain('data: [DONE]');
  });
});

describe('HEAD on known routes', () => {
  it('answers as GET without a body, 401 included', async () => {
    for (const path of ['/auth/me', '/models', '/chat/sessions']) {
      const get = await fetch(`${moji.api}${path}`, { headers: user.headers });
      const ok = await fetch(`${moji.api}${path}`, { method: 'HEAD', headers: user.headers });
      expect(ok.status, path).toBe(200);
      expect(ok.headers.get('content-length'), path).toBe(get.headers.get('content-length'));
      expect(await ok.text()).toBe('');

      const denied = await fetch(`${moji.api}${path}`, { method: 'HEAD' });
      expect(denied.status, path).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Bearer');
      expect(await denied.text()).toBe('');
    }
  });

  it('answers 404 for HEAD on an unknown session and 405 where only POST is served', async () => {
    const unknown = `/chat/sessions/0190a0a0-0000-7000-8000-000000000000/messages`;
    const missing = await fetch(`${moji.api}${unknown}`, { method: 'HEAD', headers: user.headers });
    expect(missing.status).toBe(404);

    const post = await fetch(`${moji.api}/auth/token`, { method: 'HEAD' });
    expect(post.status).toBe(405);
    expect(allowOf(post)).toEqual(['POST']);
  });
});

describe('content types', () => {
  const variants = [
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON; Charset=UTF-8',
    'APPLICATION/JSON',
    'application/json;charset=UTF-8',
  ];
  for (const type of variants) {
    it(`reads a JSON body sent as "${type}"`, async () => {
      const username = uniqueName();
      const res = await fetch(`${moji.api}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: JSON.stringify({
          username,
          password: 'password123',
          email: `${username}@example.com`,
        }),
      });

      expect(res.status, await res.clone().text()).toBe(201);
      expect((await readJson(res)).username).toBe(username);
    });
  }

  for (const type of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/jsonx',
    'text/json',
  ]) {
    it(`returns 415 for a body sent as "${type}"`, async () => {
      const res = await fetch(`${moji.api}/chat/sessions`, {
        method: 'POST',
        headers: { ...user.headers, 'content-type': type },
        body: '{}',
      });

      await expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  }

  it('returns 415 for a body without a content type', async () => {
    const res = await rawRequest(moji.origin, {
      method: 'POST',
      path: '/api/v1/chat/sessions',
      headers: { ...user.headers, 'content-length': 2 },
      body: '{}',
    });

    expectRawError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('R2: request ids', () => {
  it('echoes a valid incoming X-Request-ID', async () => {
    for (const id of ['abc-123', 'trace:01.02_x', 'a'.repeat(128)]) {
      const res = await fetch(`${moji.api}/health`, { headers: { 'x-request-id': id } });
      expect(res.headers.get('x-request-id')).toBe(id);
    }
  });

  it('replaces an id of 8 KB, with spaces, or otherwise unfit, without a 5xx', async () => {
    const unfit = ['x'.repeat(8192), 'has spaces in it', 'a'.repeat(129), 'semi;colon', 'é-accent'];
    for (const id of unfit) {
      const res = await rawRequest(moji.origin, {
        method: 'GET',
        path: '/api/v1/auth/me',
        headers: { ...user.headers, 'x-request-id': Buffer.from(id, 'utf8').toString('latin1') },
      });
      expect(res.status, res.text).toBe(200);
      const echoed = res.headers['x-request-id'];
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
      expect(echoed).not.toBe(id);
    }
  });

  it("answers requests Node's parser refuses in the envelope, with an id", async () => {
    const huge = await rawRequest(moji.origin, {
      method: 'GET',
      path: '/api/v1/health',
      headers: { 'x-request-id': 'a'.repeat(20_000) },
    });
    expectRawError(huge, 413, 'PAYLOAD_TOO_LARGE');

    const badLength = await rawRequest(moji.origin, {
      method: 'POST',
      path: '/api/v1/chat/sessions',
      headers: { ...user.headers, 'content-type': 'application/json', 'content-length': 'abc' },
      body: '{}',
    });
    expectRawError(badLength, 400, 'VALIDATION_ERROR');

    const after = await fetch(`${moji.api}/health`);
    expect(after.status).toBe(200);
  });

  it('makes a unique id for every response, errors included', async () => {
    const responses = await Promise.all([
      ...Array.from({ length: 20 }, () => fetch(`${moji.api}/health`)),
      ...Array.from({ length: 10 }, () => fetch(`${moji.api}/nope`)),
      ...Array.from({ length: 10 }, () => fetch(`${moji.api}/auth/me`)),
      ...Array.from({ length: 10 }, () => fetch(`${moji.api}/health`, { method: 'PUT' })),
    ]);
    const ids = responses.map((res) => res.headers.get('x-request-id'));

    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('puts the id on answers to bad JSON, 413, 415 and tRPC calls', async () => {
    const bad = await fetch(`${moji.api}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":',
    });
    expect(bad.headers.get('x-request-id')).toBeTruthy();
    const trpc = await fetch(`${moji.origin}/trpc/health.get`);
    expect(trpc.headers.get('x-request-id')).toBeTruthy();
    const unknownTrpc = await fetch(`${moji.origin}/trpc/nope.nope`);
    expect(unknownTrpc.headers.get('x-request-id')).toBeTruthy();
  });
});
