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

describe('A1: duplicate registrations', () => {
  it('returns 409 for the same username, another letter case, or the same e-mail in another case', async () => {
    const user = await createUser(moji.api);
    const attempts = [
      { username: user.username, email: `a-${user.email}` },
      { username: user.username.toUpperCase(), email: `b-${user.email}` },
      { username: uniqueName(), email: user.email.toUpperCase() },
    ];
    for (const attempt of attempts) {
      const res = await postJson(`${moji.api}/auth/register`, {
        ...attempt,
        password: 'password123',
      });
      await expectError(res, 409, 'CONFLICT');
    }
  });

  it('gives exactly one 201 and nine 409 for ten identical registrations at once', async () => {
    const username = uniqueName('race');
    const body = { username, password: 'password123', email: `${username}@example.com` };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => postJson(`${moji.api}/auth/register`, body)),
    );
    const statuses = answers.map((res) => res.status).sort();

    expect(statuses, JSON.stringify(statuses)).toEqual([201, ...Array<number>(9).fill(409)]);
    for (const res of answers.filter((answer) => answer.status === 409)) {
      await expectError(res, 409, 'CONFLICT');
    }
    const rows = await moji.server.database.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', username)
      .execute();
    expect(rows).toHaveLength(1);
    const login = await postJson(`${moji.api}/auth/token`, { username, password: 'password123' });
    expect(login.status, await login.clone().text()).toBe(200);
  });

  it('gives one 201 when ten registrations race with the same e-mail in different cases', async () => {
    const base = uniqueName('mail');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        postJson(`${moji.api}/auth/register`, {
          username: `${base}_${index}`,
          password: 'password123',
          email: index % 2 ? `${base}@EXAMPLE.com` : `${base}@example.com`,
        }),
      ),
    );
    const statuses = answers.map((res) => res.status).sort();

    expect(statuses).toEqual([201, ...Array<number>(9).fill(409)]);
  });
});

describe('A2: failed logins', () => {
  it('answers an unknown user and a wrong password with byte-identical bodies', async () => {
    const user = await createUser(moji.api);
    const wrong = await postJson(`${moji.api}/auth/token`, {
      username: user.username,
      password: 'wrong password',
    });
    const unknown = await postJson(`${moji.api}/auth/token`, {
      username: uniqueName('nobody'),
      password: 'wrong password',
    });
    const wrongText = await wrong.clone().text();
    const unknownText = await unknown.clone().text();
    await expectError(wrong, 401, 'AUTH_FAILED');
    await expectError(unknown, 401, 'AUTH_FAILED');

    expect(wrongText).toBe(unknownText);
    for (const name of ['content-type', 'www-authenticate', 'content-length']) {
      expect(wrong.headers.get(name), name).toBe(unknown.headers.get(name));
    }
  });

  it('returns 400 for a password given as an object, an array or null', async () => {
    const user = await createUser(moji.api);
    for (const password of [{ value: user.password }, [user.password], null, 12345678, true]) {
      const res = await postJson(`${moji.api}/auth/token`, { username: user.username, password });
      const error = await expectError(res, 400, 'VALIDATION_ERROR');
      const issues = error.details['issues'] as { path: string }[];
      expect(issues.map((issue) => issue.path)).toContain('password');
    }
  });
});
