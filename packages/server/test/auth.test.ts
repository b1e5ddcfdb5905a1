import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { createUser, postJson, uniqueName } from './support/users.js';

let moji: RunningMoji;

beforeAll(async () => {
  moji = await startMoji();
});

afterAll(async () => {
  await moji?.close();
});

describe('POST /auth/register', () => {
  it('returns 201 with the new user', async () => {
    const username = uniqueName();
    const res = await postJson(`${moji.api}/auth/register`, {
      username,
      password: 'password123',
      email: `${username}@example.com`,
    });

    expect(res.status, await res.clone().text()).toBe(201);
    const user = await res.json();
    expect(user).toMatchObject({ username, email: `${username}@example.com`, role: 'user' });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user.created_at).toMatch(/Z$/);
    expect(user).not.toHaveProperty('password');
  });

  it('returns 409 when the username is taken in another letter case', async () => {
    const user = await createUser(moji.api);
    const res = await postJson(`${moji.api}/auth/register`, {
      username: user.username.toUpperCase(),
      password: 'password123',
      email: `other-${user.email}`,
    });

    await expectError(res, 409, 'CONFLICT');
  });

  it('returns 400 when a client sets its own role', async () => {
    const username = uniqueName();
    const res = await postJson(`${moji.api}/auth/register`, {
      username,
      password: 'password123',
      email: `${username}@example.com`,
      role: 'admin',
    });

    await expectError(res, 400, 'VALIDATION_ERROR');
  });
});

describe('POST /auth/token and GET /auth/me', () => {
  it('issues a bearer token that /auth/me accepts', async () => {
    const user = await createUser(moji.api);
    const res = await fetch(`${moji.api}/auth/me`, { headers: user.headers });

    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ id: user.id, username: user.username });
  });

  it('answers an unknown user and a wrong password alike', async () => {
    const user = await createUser(moji.api);
    const wrong = await postJson(`${moji.api}/auth/token`, { username: user.username, password: 'nope-nope' });
    const unknown = await postJson(`${moji.api}/auth/token`, { username: uniqueName(), password: 'nope-nope' });

    const a = await expectError(wrong, 401, 'AUTH_FAILED');
    const b = await expectError(unknown, 401, 'AUTH_FAILED');
    expect(a).toEqual(b);
  });
});
