import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { startMoji, type RunningMoji } from './support/moji.js';
import { readJson } from './support/read-json.js';
import { createUser, postJson } from './support/users.js';

const dataDir = mkdtempSync(join(tmpdir(), 'moji-restart-'));
const running: RunningMoji[] = [];

afterAll(async () => {
  await Promise.all(running.map((moji) => moji.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

// JWT_SECRET empty: the embedded default, a secret generated once into MOJI_DATA_DIR.
async function start(): Promise<RunningMoji> {
  const moji = await startMoji({ JWT_SECRET: '' }, { dataDir });
  running.push(moji);

  return moji;
}

describe('a restart on the same MOJI_DATA_DIR', () => {
  it('keeps accounts, tokens, sessions and messages', async () => {
    const first = await start();
    const user = await createUser(first.api);
    const created = await postJson(
      `${first.api}/chat/sessions`,
      { initial_message: 'remember me' },
      user.headers,
    );
    const session = await readJson(created);
    const reply = await postJson(
      `${first.api}/chat/completions`,
      { model: 'echo', session_id: session.id, messages: [{ role: 'user', content: 'and this' }] },
      user.headers,
    );
    expect(reply.status, await reply.clone().text()).toBe(200);
    await first.close();
    running.splice(running.indexOf(first), 1);

    const second = await start();
    const me = await fetch(`${second.api}/auth/me`, { headers: user.headers });
    expect(me.status, await me.clone().text()).toBe(200);
    expect((await readJson(me)).id).toBe(user.id);

    const login = await postJson(`${second.api}/auth/token`, {
      username: user.username,
      password: user.password,
    });
    expect(login.status, await login.clone().text()).toBe(200);

    const sessions = await readJson(
      await fetch(`${second.api}/chat/sessions`, { headers: user.headers }),
    );
    expect(sessions.data).toEqual([
      expect.objectContaining({ id: session.id, title: 'remember me' }),
    ]);
    const messages = await readJson(
      await fetch(`${second.api}/chat/sessions/${session.id}/messages`, { headers: user.headers }),
    );
    expect(messages.data.map((message: { content: unknown }) => message.content)).toEqual([
      'remember me',
      'and this',
      'and this',
    ]);

    const again = await postJson(`${second.api}/auth/register`, {
      username: user.username.toUpperCase(),
      password: 'password123',
      email: `x-${user.email}`,
    });
    expect(again.status).toBe(409);
  });
});
