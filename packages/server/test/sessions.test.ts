import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { readJson } from './support/read-json.js';
import { createUser, postJson, type TestUser } from './support/users.js';

let moji: RunningMoji;

beforeAll(async () => {
  moji = await startMoji();
});

afterAll(async () => {
  await moji?.close();
});

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const isoZ = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function createSession(user: TestUser, body: unknown = {}) {
  const res = await postJson(`${moji.api}/chat/sessions`, body, user.headers);
  expect(res.status, await res.clone().text()).toBe(201);

  return (await readJson(res)) as { id: string; title: string | null; message_count: number };
}

async function listSessions(user: TestUser, query = '') {
  const res = await fetch(`${moji.api}/chat/sessions${query}`, { headers: user.headers });
  expect(res.status, await res.clone().text()).toBe(200);

  return (await readJson(res)) as {
    object: string;
    data: { id: string; title: string | null; message_count: number }[];
    has_more: boolean;
  };
}

async function listMessages(user: TestUser, sessionId: string, query = '') {
  const res = await fetch(`${moji.api}/chat/sessions/${sessionId}/messages${query}`, {
    headers: user.headers,
  });
  expect(res.status, await res.clone().text()).toBe(200);

  return (await readJson(res)) as {
    object: string;
    data: Record<string, unknown>[];
    has_more: boolean;
  };
}

async function usageRows(userId: string): Promise<number> {
  const row = await moji.server.database.db
    .selectFrom('usage_records')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();

  return Number(row.n);
}

describe('POST /chat/sessions', () => {
  it('returns 201 with an empty untitled session', async () => {
    const user = await createUser(moji.api);
    const res = await postJson(`${moji.api}/chat/sessions`, {}, user.headers);

    expect(res.status, await res.clone().text()).toBe(201);
    const session = await readJson(res);
    expect(Object.keys(session).sort()).toEqual([
      'created_at',
      'id',
      'message_count',
      'title',
      'updated_at',
    ]);
    expect(session).toMatchObject({ title: null, message_count: 0 });
    expect(session.id).toMatch(uuidV7);
    expect(session.created_at).toMatch(isoZ);
    expect(session.updated_at).toMatch(isoZ);
  });

  it('stores initial_message as the first user message, without a model call', async () => {
    const user = await createUser(moji.api);
    const session = await createSession(user, { initial_message: 'Hello, I need help with tests' });

    expect(session).toMatchObject({ title: 'Hello, I need help with tests', message_count: 1 });
    const messages = await listMessages(user, session.id);
    expect(messages.data).toHaveLength(1);
    expect(messages.data[0]).toMatchObject({
      role: 'user',
      content: 'Hello, I need help with tests',
      name: null,
      tool_calls: null,
      tool_call_id: null,
      reasoning_content: null,
      incomplete: false,
      model: null,
    });
    expect(await usageRows(user.id)).toBe(0);
  });

  it('titles a session with the first 200 characters of its first user message', async () => {
    const user = await createUser(moji.api);
    const text = `${'abcdefghij'.repeat(20)}and what comes after is cut`;
    const session = await createSession(user, { initial_message: text });

    expect(session.title).toBe(text.slice(0, 200));
    expect(session.title).toHaveLength(200);
    const messages = await listMessages(user, session.id);
    expect(messages.data[0]?.['content']).toBe(text);
  });

  it('never cuts a character in two when it titles a session', async () => {
    const user = await createUser(moji.api);
    const text = `${'a'.repeat(199)}\u{1F600} and more`;
    const session = await createSession(user, { initial_message: text });

    expect(session.title).toBe(`${'a'.repeat(199)}\u{1F600}`);
  });

  it('keeps an empty initial message as a message with an empty title', async () => {
    const user = await createUser(moji.api);
    const session = await createSession(user, { initial_message: '' });

    expect(session).toMatchObject({ title: '', message_count: 1 });
  });

  it('returns 400 for fields other than initial_message, or one of the wrong type', async () => {
    const user = await createUser(moji.api);
    for (const body of [
      { title: 'mine' },
      { initial_message: 42 },
      { initial_message: null },
      { initial_message: ['hi'] },
      { initial_message: 'x'.repeat(1_048_577) },
    ]) {
      const res = await postJson(`${moji.api}/chat/sessions`, body, user.headers);
      await expectError(res, 400, 'VALIDATION_ERROR');
    }
    expect((await listSessions(user)).data).toHaveLength(0);
  });

  it('returns 401 without a token', async () => {
    await expectError(await postJson(`${moji.api}/chat/sessions`, {}), 401, 'AUTH_FAILED');
  });
});

describe('GET /chat/sessions', () => {
  it("lists only the caller's sessions, last active first", async () => {
    const user = await createUser(moji.api);
    const other = await createUser(moji.api);
    await createSession(other);
    const a = await createSession(user, { initial_message: 'first' });
    const b = await createSession(user);
    const c = await createSession(user);

    const list = await listSessions(user);
    expect(list.object).toBe('list');
    expect(list.has_more).toBe(false);
    expect(list.data.map((session) => session.id)).toEqual([c.id, b.id, a.id]);

    const reply = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'echo', session_id: a.id, messages: [{ role: 'user', content: 'bump' }] },
      user.headers,
    );
    expect(reply.status, await reply.clone().text()).toBe(200);
    const after = await listSessions(user);
    expect(after.data.map((session) => session.id)).toEqual([a.id, c.id, b.id]);
    expect(after.data[0]).toMatchObject({ title: 'first', message_count: 3 });
  });

  it('pages with limit and after, and says whether more follow', async () => {
    const user = await createUser(moji.api);
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) ids.push((await createSession(user)).id);
    const newestFirst = [...ids].reverse();

    const first = await listSessions(user, '?limit=2');
    expect(first.data.map((session) => session.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.has_more).toBe(true);
    const second = await listSessions(user, `?limit=2&after=${first.data[1]?.id}`);
    expect(second.data.map((session) => session.id)).toEqual(newestFirst.slice(2, 4));
    expect(second.has_more).toBe(true);
    const last = await listSessions(user, `?limit=2&after=${second.data[1]?.id}`);
    expect(last.data.map((session) => session.id)).toEqual(newestFirst.slice(4));
    expect(last.has_more).toBe(false);
    const exact = await listSessions(user, '?limit=5');
    expect(exact.has_more).toBe(false);
    const all = await listSessions(user, '?limit=200');
    expect(all.data).toHaveLength(5);
  });

  it('returns 400 for a limit out of range or not a whole number, and for unknown parameters', async () => {
    const user = await createUser(moji.api);
    for (const query of [
      '?limit=0',
      '?limit=201',
      '?limit=abc',
      '?limit=1.5',
      '?limit=-1',
      '?limit=',
      '?page=2',
    ]) {
      const res = await fetch(`${moji.api}/chat/sessions${query}`, { headers: user.headers });
      await expectError(res, 400, 'VALIDATION_ERROR');
    }
  });

  it("returns 404 when after names no session of the caller's", async () => {
    const user = await createUser(moji.api);
    const other = await createUser(moji.api);
    const theirs = await createSession(other);
    for (const after of [theirs.id, 'not-a-uuid', '0190a0a0-0000-7000-8000-000000000000']) {
      const res = await fetch(`${moji.api}/chat/sessions?after=${after}`, {
        headers: user.headers,
      });
      await expectError(res, 404, 'NOT_FOUND');
    }
  });
});

describe('GET /chat/sessions/{session_id}/messages', () => {
  it('lists the messages oldest first, with paging', async () => {
    const user = await createUser(moji.api);
    const session = await createSession(user, { initial_message: 'one' });
    for (const content of ['two', 'three']) {
      const res = await postJson(
        `${moji.api}/chat/completions`,
        { model: 'echo', session_id: session.id, messages: [{ role: 'user', content }] },
        user.headers,
      );
      expect(res.status, await res.clone().text()).toBe(200);
    }

    const all = await listMessages(user, session.id);
    expect(all.data.map((message) => [message['role'], message['content']])).toEqual([
      ['user', 'one'],
      ['user', 'two'],
      ['assistant', 'two'],
      ['user', 'three'],
      ['assistant', 'three'],
    ]);
    expect(all.has_more).toBe(false);
    for (const message of all.data) {
      expect(message['id']).toMatch(uuidV7);
      expect(message['created_at']).toMatch(isoZ);
    }

    const page1 = await listMessages(user, session.id, '?limit=2');
    expect(page1.data.map((message) => message['content'])).toEqual(['one', 'two']);
    expect(page1.has_more).toBe(true);
    const page2 = await listMessages(
      user,
      session.id,
      `?limit=2&after=${String(page1.data[1]?.['id'])}`,
    );
    expect(page2.data.map((message) => message['role'])).toEqual(['assistant', 'user']);
    const page3 = await listMessages(
      user,
      session.id,
      `?limit=2&after=${String(page2.data[1]?.['id'])}`,
    );
    expect(page3.data.map((message) => message['content'])).toEqual(['three']);
    expect(page3.has_more).toBe(false);
  });

  it('returns 400 for a bad limit and 404 for an unknown after', async () => {
    const user = await createUser(moji.api);
    const session = await createSession(user, { initial_message: 'x' });
    const bad = await fetch(`${moji.api}/chat/sessions/${session.id}/messages?limit=500`, {
      headers: user.headers,
    });
    await expectError(bad, 400, 'VALIDATION_ERROR');
    const unknown = await fetch(
      `${moji.api}/chat/sessions/${session.id}/messages?after=${session.id}`,
      {
        headers: user.headers,
      },
    );
    await expectError(unknown, 404, 'NOT_FOUND');
  });

  it("returns 404 for another user's session", async () => {
    const owner = await createUser(moji.api);
    const intruder = await createUser(moji.api);
    const session = await createSession(owner, { initial_message: 'private' });
    const res = await fetch(`${moji.api}/chat/sessions/${session.id}/messages`, {
      headers: intruder.headers,
    });

    await expectError(res, 404, 'NOT_FOUND');
  });
});

describe('DELETE /chat/sessions/{session_id}', () => {
  it('returns 204 with no body, then 404', async () => {
    const user = await createUser(moji.api);
    const session = await createSession(user, { initial_message: 'bye' });
    const res = await fetch(`${moji.api}/chat/sessions/${session.id}`, {
      method: 'DELETE',
      headers: user.headers,
    });

    expect(res.status, await res.clone().text()).toBe(204);
    expect(await res.text()).toBe('');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const again = await fetch(`${moji.api}/chat/sessions/${session.id}`, {
      method: 'DELETE',
      headers: user.headers,
    });
    await expectError(again, 404, 'NOT_FOUND');
    const rows = await moji.server.database.db
      .selectFrom('chat_messages')
      .select('id')
      .where('session_id', '=', session.id)
      .execute();
    expect(rows).toHaveLength(0);
  });

  it("returns 404 for another user's session and leaves it alone", async () => {
    const owner = await createUser(moji.api);
    const intruder = await createUser(moji.api);
    const session = await createSession(owner, { initial_message: 'mine' });
    const res = await fetch(`${moji.api}/chat/sessions/${session.id}`, {
      method: 'DELETE',
      headers: intruder.headers,
    });

    await expectError(res, 404, 'NOT_FOUND');
    expect((await listMessages(owner, session.id)).data).toHaveLength(1);
  });
});

describe('POST /chat/completions with session_id', () => {
  it('stores the user message once and the reply once, and replays the transcript', async () => {
    const user = await createUser(moji.api);
    const session = await createSession(user);
    const res = await postJson(
      `${moji.api}/chat/completions`,
      {
        model: 'echo',
        session_id: session.id,
        messages: [
          { role: 'system', content: 'You are a helpful assistant' },
          { role: 'user', content: 'Hello there, echo!' },
        ],
      },
      user.headers,
    );
    expect(res.status, await res.clone().text()).toBe(200);
    const completion = await readJson(res);
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'echo',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello there, echo!' },
          finish_reason: 'stop',
        },
      ],
    });
    expect(completion.usage.total_tokens).toBe(
      completion.usage.prompt_tokens + completion.usage.completion_tokens,
    );

    const stored = await listMessages(user, session.id);
    expect(stored.data.map((message) => [message['role'], message['content']])).toEqual([
      ['system', 'You are a helpful assistant'],
      ['user', 'Hello there, echo!'],
      ['assistant', 'Hello there, echo!'],
    ]);
    expect(stored.data[2]).toMatchObject({ model: 'echo', incomplete: false });
    const [listed] = (await listSessions(user)).data;
    expect(listed).toMatchObject({ title: 'Hello there, echo!', message_count: 3 });

    const second = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'echo', session_id: session.id, messages: [{ role: 'user', content: 'again' }] },
      user.headers,
    );
    const secondBody = await readJson(second);
    // The stored transcript is sent first: echo counts its words as prompt tokens.
    expect(secondBody.usage.prompt_tokens).toBeGreaterThan(completion.usage.prompt_tokens);
    expect((await listMessages(user, session.id)).data).toHaveLength(5);
    expect(await usageRows(user.id)).toBe(2);
  });

  it('answers an initial message with an empty messages list', async () => {
    const user = await createUser(moji.api);
    const session = await createSession(user, { initial_message: 'answer me later' });
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'echo', session_id: session.id, messages: [] },
      user.headers,
    );

    expect(res.status, await res.clone().text()).toBe(200);
    expect((await readJson(res)).choices[0].message.content).toBe('answer me later');
    const stored = await listMessages(user, session.id);
    expect(stored.data.map((message) => message['role'])).toEqual(['user', 'assistant']);
  });

  it('returns 404 for an unknown model and stores nothing', async () => {
    const user = await createUser(moji.api);
    const session = await createSession(user);
    const res = await postJson(
      `${moji.api}/chat/completions`,
      {
        model: 'no-such-model',
        session_id: session.id,
        messages: [{ role: 'user', content: 'x' }],
      },
      user.headers,
    );

    await expectError(res, 404, 'NOT_FOUND');
    expect((await listMessages(user, session.id)).data).toHaveLength(0);
  });
});

describe('GET /models', () => {
  it('lists echo and the default model', async () => {
    const user = await createUser(moji.api);
    const res = await fetch(`${moji.api}/models`, { headers: user.headers });

    expect(res.status, await res.clone().text()).toBe(200);
    const body = await readJson(res);
    expect(body.object).toBe('list');
    expect(body.data.map((model: { id: string }) => model.id).sort()).toEqual([
      'deepseek-r1',
      'echo',
    ]);
    for (const model of body.data)
      expect(model).toMatchObject({ object: 'model', owned_by: 'echo' });
  });

  it('returns 401 without a token', async () => {
    await expectError(await fetch(`${moji.api}/models`), 401, 'AUTH_FAILED');
  });
});
