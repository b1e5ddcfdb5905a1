import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError, expectRawError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { readJson } from './support/read-json.js';
import { rawRequest } from './support/raw-request.js';
import { createUser, postJson, uniqueName, type TestUser } from './support/users.js';

let moji: RunningMoji;
let user: TestUser;
let sessionId: string;

beforeAll(async () => {
  moji = await startMoji();
  user = await createUser(moji.api);
  const res = await postJson(`${moji.api}/chat/sessions`, {}, user.headers);
  sessionId = (await readJson(res)).id;
});

afterAll(async () => {
  await moji?.close();
});

const json = { 'content-type': 'application/json' };

function send(
  method: string,
  path: string,
  body: string | undefined,
  headers: Record<string, string> = {},
) {
  return rawRequest(moji.origin, {
    method,
    path: `/api/v1${path}`,
    headers: { ...json, ...user.headers, ...headers },
    ...(body === undefined ? {} : { body }),
  });
}

async function messageCount(id: string): Promise<number> {
  const row = await moji.server.database.db
    .selectFrom('chat_sessions')
    .select('message_count')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

  return row.message_count;
}

describe('B1: broken and non-object JSON', () => {
  const broken = {
    truncated: '{"model":"echo","messages":[{"role":"user","content":"hi"}',
    'trailing comma': '{"model":"echo","messages":[{"role":"user","content":"hi"}],}',
    'single quotes': "{'model':'echo'}",
    'a bare word': 'hello',
  };
  for (const [name, body] of Object.entries(broken)) {
    it(`returns 400 for ${name}, also with "stream":true`, async () => {
      expectRawError(await send('POST', '/chat/completions', body), 400, 'VALIDATION_ERROR');
      const streaming = body.replace('{', '{"stream":true,');
      const res = await send('POST', '/chat/completions', streaming);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expectRawError(res, 400, 'VALIDATION_ERROR');
    });
  }

  it('returns 400 for an empty body where fields are required', async () => {
    for (const path of ['/auth/register', '/auth/token', '/chat/completions']) {
      expectRawError(await send('POST', path, ''), 400, 'VALIDATION_ERROR');
      expectRawError(
        await send('POST', path, undefined, { 'content-length': '0' }),
        400,
        'VALIDATION_ERROR',
      );
    }
  });

  const routes: [string, string][] = [
    ['GET', '/health'],
    ['POST', '/auth/register'],
    ['POST', '/auth/token'],
    ['GET', '/auth/me'],
    ['GET', '/models'],
    ['POST', '/chat/completions'],
    ['POST', '/chat/sessions'],
    ['GET', '/chat/sessions'],
    ['GET', '/chat/sessions/{id}/messages'],
    ['DELETE', '/chat/sessions/{id}'],
  ];
  for (const body of ['null', '[]', '"hello"', '42', 'true']) {
    it(`returns 400 for a body of ${body} on every route`, async () => {
      for (const [method, path] of routes) {
        const res = await send(method, path.replace('{id}', sessionId), body);
        expect(res.status, `${method} ${path}: ${res.text}`).toBe(400);
        expectRawError(res, 400, 'VALIDATION_ERROR');
      }
      expect(await messageCount(sessionId)).toBe(0);
    });
  }

  it('returns 400 for a non-object body before asking for a token', async () => {
    const res = await rawRequest(moji.origin, {
      method: 'POST',
      path: '/api/v1/chat/sessions',
      headers: json,
      body: '[]',
    });

    expectRawError(res, 400, 'VALIDATION_ERROR');
  });
});

describe('B2: bodies a route does not need', () => {
  it('creates a session from an empty body, no body at all, and {}', async () => {
    const answers = [
      await send('POST', '/chat/sessions', ''),
      await send('POST', '/chat/sessions', '{}'),
      await rawRequest(moji.origin, {
        method: 'POST',
        path: '/api/v1/chat/sessions',
        headers: user.headers,
      }),
    ];
    for (const res of answers) expect(res.status, res.text).toBe(201);
    const viaFetch = await fetch(`${moji.api}/chat/sessions`, {
      method: 'POST',
      headers: user.headers,
    });
    expect(viaFetch.status, await viaFetch.clone().text()).toBe(201);
  });

  it('deletes with a JSON content type and no body, and with {}', async () => {
    for (const body of [undefined, '', '{}']) {
      const created = await postJson(`${moji.api}/chat/sessions`, {}, user.headers);
      const { id } = await readJson(created);
      const res = await send('DELETE', `/chat/sessions/${id}`, body);
      expect(res.status, res.text).toBe(204);
      expect(res.text).toBe('');
    }
  });
});

describe('B3: a large conversation', () => {
  it('serves a 300 KB completion request of 60 long turns', async () => {
    const turn = 'lorem ipsum dolor sit amet '.repeat(185);
    const messages = Array.from({ length: 60 }, (_, index) => ({
      role: index % 2 ? 'assistant' : 'user',
      content: `${index} ${turn}`,
    }));
    messages.push({ role: 'user', content: 'and finally' });
    const body = JSON.stringify({ model: 'echo', messages });
    expect(body.length).toBeGreaterThan(300_000);

    const res = await fetch(`${moji.api}/chat/completions`, {
      method: 'POST',
      headers: { ...json, ...user.headers },
      body,
    });
    expect(res.status, (await res.clone().text()).slice(0, 300)).toBe(200);
    expect((await readJson(res)).choices[0].message.content).toBe('and finally');
  });
});

describe('B5: NUL characters', () => {
  it('refuses NUL in a message, an initial message, a username and an e-mail with 400', async () => {
    const nul = 'bad\u0000value';
    const completion = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'echo', messages: [{ role: 'user', content: nul }] },
      user.headers,
    );
    await expectError(completion, 400, 'VALIDATION_ERROR');
    const parts = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'echo', messages: [{ role: 'user', content: [{ type: 'text', text: nul }] }] },
      user.headers,
    );
    await expectError(parts, 400, 'VALIDATION_ERROR');
    const session = await postJson(
      `${moji.api}/chat/sessions`,
      { initial_message: nul },
      user.headers,
    );
    await expectError(session, 400, 'VALIDATION_ERROR');
    const name = uniqueName();
    for (const body of [
      { username: `${name}\u0000`, password: 'password123', email: `${name}@example.com` },
      { username: name, password: 'password123', email: `${name}\u0000@example.com` },
    ]) {
      await expectError(await postJson(`${moji.api}/auth/register`, body), 400, 'VALIDATION_ERROR');
    }
  });

  it('refuses lone surrogates, which PostgreSQL cannot store, and keeps emoji', async () => {
    for (const text of ['a\\ud800b', 'tail \\udfff', '\\udc00\\ud800']) {
      const body = `{"initial_message":"${text}"}`;
      expectRawError(await send('POST', '/chat/sessions', body), 400, 'VALIDATION_ERROR');
      const completion = `{"model":"echo","session_id":"${sessionId}","messages":[{"role":"user","content":"${text}"}]}`;
      expectRawError(await send('POST', '/chat/completions', completion), 400, 'VALIDATION_ERROR');
    }
    expect(await messageCount(sessionId)).toBe(0);

    const emoji = await send(
      'POST',
      '/chat/sessions',
      '{"initial_message":"smile \\ud83d\\ude00"}',
    );
    expect(emoji.status, emoji.text).toBe(201);
    expect((emoji.json as { title: string }).title).toBe('smile \u{1F600}');
  });

  it('answers a login with NUL in the username or password like any failed login', async () => {
    for (const body of [
      { username: `${user.username}\u0000`, password: user.password },
      { username: '\u0000', password: 'whatever' },
      { username: user.username, password: `${user.password}\u0000` },
    ]) {
      const res = await postJson(`${moji.api}/auth/token`, body);
      expect(res.status, await res.clone().text()).toBeLessThan(500);
      expect([400, 401]).toContain(res.status);
    }
  });

  it('takes a password with NUL at registration, as any character, and logs in with it', async () => {
    const username = uniqueName();
    const password = 'pass\u0000word123';
    const res = await postJson(`${moji.api}/auth/register`, {
      username,
      password,
      email: `${username}@example.com`,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const login = await postJson(`${moji.api}/auth/token`, { username, password });
    expect(login.status, await login.clone().text()).toBe(200);
    const wrong = await postJson(`${moji.api}/auth/token`, { username, password: 'pass' });
    await expectError(wrong, 401, 'AUTH_FAILED');
  });

  it('stores no half turn when a later message holds NUL', async () => {
    const before = await messageCount(sessionId);
    const res = await postJson(
      `${moji.api}/chat/completions`,
      {
        model: 'echo',
        session_id: sessionId,
        messages: [
          { role: 'user', content: 'fine' },
          { role: 'assistant', content: 'also fine' },
          { role: 'user', content: 'not \u0000 fine' },
        ],
      },
      user.headers,
    );

    await expectError(res, 400, 'VALIDATION_ERROR');
    expect(await messageCount(sessionId)).toBe(before);
  });

  it('answers NUL in ids and cursors with 404, never a database error', async () => {
    const paths = [
      `/chat/sessions/%00/messages`,
      `/chat/sessions?after=%00`,
      `/chat/sessions/${sessionId}/messages?after=%00`,
    ];
    for (const path of paths) {
      expectRawError(await send('GET', path, undefined), 404, 'NOT_FOUND');
    }
    const completion = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'echo', session_id: '\u0000', messages: [{ role: 'user', content: 'x' }] },
      user.headers,
    );
    await expectError(completion, 404, 'NOT_FOUND');
    const model = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'echo\u0000', messages: [{ role: 'user', content: 'x' }] },
      user.headers,
    );
    expect([400, 404]).toContain(model.status);
  });
});
