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

// A user's row may be cached for up to 5 s (DESIGN: "Several server processes ...").
const USER_CACHE_MS = 5000;

async function deleteUserRow(id: string): Promise<void> {
  await moji.server.database.db.deleteFrom('users').where('id', '=', id).execute();
}

async function countRows(userId: string) {
  const db = moji.server.database.db;
  const sessions = await db
    .selectFrom('chat_sessions')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  const usage = await db
    .selectFrom('usage_records')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();

  return { sessions: Number(sessions.n), usage: Number(usage.n) };
}

function callEveryRoute(user: TestUser, sessionId: string) {
  const auth = user.headers;
  const completion = { model: 'echo', messages: [{ role: 'user', content: 'are you there' }] };

  return [
    fetch(`${moji.api}/auth/me`, { headers: auth }),
    fetch(`${moji.api}/models`, { headers: auth }),
    fetch(`${moji.api}/chat/sessions`, { headers: auth }),
    postJson(`${moji.api}/chat/sessions`, { initial_message: 'hello again' }, auth),
    fetch(`${moji.api}/chat/sessions/${sessionId}/messages`, { headers: auth }),
    fetch(`${moji.api}/chat/sessions/${sessionId}`, { method: 'DELETE', headers: auth }),
    postJson(`${moji.api}/chat/completions`, completion, auth),
    postJson(`${moji.api}/chat/completions`, { ...completion, session_id: sessionId }, auth),
    postJson(`${moji.api}/chat/completions`, { ...completion, stream: true }, auth),
    fetch(`${moji.origin}/trpc/auth.me`, { headers: auth }),
  ];
}

describe('T4: a deleted user', () => {
  it('gets 401 on every route once the cached row expires, and nothing is written', async () => {
    const user = await createUser(moji.api);
    const created = await postJson(
      `${moji.api}/chat/sessions`,
      { initial_message: 'hi' },
      user.headers,
    );
    expect(created.status, await created.clone().text()).toBe(201);
    const { id: sessionId } = await readJson(created);

    await deleteUserRow(user.id);
    // While a stale copy may still be cached, any answer is allowed but a 5xx.
    const stale = await Promise.all([
      fetch(`${moji.api}/auth/me`, { headers: user.headers }),
      postJson(`${moji.api}/chat/sessions`, {}, user.headers),
      postJson(`${moji.api}/chat/sessions`, { initial_message: 'still here?' }, user.headers),
    ]);
    for (const res of stale) expect(res.status, await res.clone().text()).toBeLessThan(500);
    const [me] = stale;
    if (me) await expectError(me, 401, 'AUTH_FAILED');

    await new Promise((resolve) => setTimeout(resolve, USER_CACHE_MS + 300));
    const before = await countRows(user.id);
    const answers = await Promise.all(callEveryRoute(user, sessionId));
    for (const res of answers) {
      const text = await res.clone().text();
      expect(res.status, `${res.url}: ${text}`).toBe(401);
      expect(res.headers.get('www-authenticate'), res.url).toBe('Bearer');
      expect(res.headers.get('content-type'), res.url).toMatch(/^application\/json/);
    }
    expect(await countRows(user.id)).toEqual(before);
    expect(before.sessions).toBe(0);
  });

  it('cannot reach a new account that reuses the username', async () => {
    const user = await createUser(moji.api);
    await deleteUserRow(user.id);
    moji.server.users.drop(user.id);

    const again = await postJson(`${moji.api}/auth/register`, {
      username: user.username,
      password: 'another password',
      email: user.email,
    });
    expect(again.status, await again.clone().text()).toBe(201);
    const newId = (await readJson(again)).id;
    expect(newId).not.toBe(user.id);

    await expectError(
      await fetch(`${moji.api}/auth/me`, { headers: user.headers }),
      401,
      'AUTH_FAILED',
    );
    const login = await postJson(`${moji.api}/auth/token`, {
      username: user.username,
      password: 'another password',
    });
    const token = (await readJson(login)).access_token;
    const me = await fetch(`${moji.api}/auth/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect((await readJson(me)).id).toBe(newId);
  });
});
