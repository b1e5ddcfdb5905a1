import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { readJson } from './support/read-json.js';
import { createUser, postJson, uniqueName } from './support/users.js';

let moji: RunningMoji;

beforeAll(async () => {
  moji = await startMoji();
});

afterAll(async () => {
  await moji?.close();
});

function registration(overrides: Record<string, unknown> = {}) {
  const username = uniqueName();

  return { username, password: 'password123', email: `${username}@example.com`, ...overrides };
}

describe('POST /auth/register', () => {
  it('returns 201 with the new user', async () => {
    const body = registration();
    const res = await postJson(`${moji.api}/auth/register`, body);

    expect(res.status, await res.clone().text()).toBe(201);
    const user = await readJson(res);
    expect(Object.keys(user).sort()).toEqual(['created_at', 'email', 'id', 'role', 'username']);
    expect(user).toMatchObject({ username: body.username, email: body.email, role: 'user' });
    expect(user.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(user.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('accepts the shortest and longest allowed fields', async () => {
    const short = `a${uniqueName().slice(-2)}`;
    const long = uniqueName('u').padEnd(64, 'x');
    // 64 + 1 + 3 * 62 + 3 = 254 characters, in labels of at most 63.
    const email = `${long}@${`${'d'.repeat(61)}.`.repeat(3)}com`;
    expect(email).toHaveLength(254);
    for (const body of [
      { username: short, password: '12345678', email: `${short}@example.com` },
      { username: long, password: 'p'.repeat(1024), email },
    ]) {
      const res = await postJson(`${moji.api}/auth/register`, body);
      expect(res.status, await res.clone().text()).toBe(201);
    }
  });

  describe('409 CONFLICT', () => {
    it('when the username is taken, in the same or another letter case', async () => {
      const user = await createUser(moji.api);
      for (const username of [user.username, user.username.toUpperCase()]) {
        const res = await postJson(`${moji.api}/auth/register`, registration({ username }));
        const error = await expectError(res, 409, 'CONFLICT');
        expect(error.details).toEqual({ field: 'username' });
        expect(error.type).toBe('invalid_request_error');
      }
    });

    it('when the e-mail is taken, in the same or another letter case', async () => {
      const user = await createUser(moji.api);
      for (const email of [user.email, user.email.toUpperCase()]) {
        const res = await postJson(`${moji.api}/auth/register`, registration({ email }));
        const error = await expectError(res, 409, 'CONFLICT');
        expect(error.details).toEqual({ field: 'email' });
      }
    });
  });

  describe('400 VALIDATION_ERROR naming the field', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['username missing', { username: undefined }, 'username'],
      ['username of 2 characters', { username: 'ab' }, 'username'],
      ['username of 65 characters', { username: 'a'.repeat(65) }, 'username'],
      ['username with a space', { username: 'has space' }, 'username'],
      ['username with a slash', { username: 'a/b/c' }, 'username'],
      ['username with an accent', { username: 'josé_x' }, 'username'],
      ['username as a number', { username: 12345 }, 'username'],
      ['username null', { username: null }, 'username'],
      ['password missing', { password: undefined }, 'password'],
      ['password of 7 characters', { password: '1234567' }, 'password'],
      ['password of 1025 characters', { password: 'p'.repeat(1025) }, 'password'],
      ['password as a number', { password: 12345678 }, 'password'],
      ['password as an object', { password: { value: 'password123' } }, 'password'],
      ['email missing', { email: undefined }, 'email'],
      ['email malformed', { email: 'not-an-email' }, 'email'],
      ['email without a domain', { email: 'someone@' }, 'email'],
      ['email of 255 characters', { email: `${'e'.repeat(243)}@example.com` }, 'email'],
      ['email as an array', { email: ['a@example.com'] }, 'email'],
      ['an extra role', { role: 'admin' }, ''],
      ['an extra field of another case', { Username: 'shadow' }, ''],
      ['an extra id', { id: '0190a0a0-0000-7000-8000-000000000000' }, ''],
      ['an extra created_at', { created_at: '2020-01-01T00:00:00Z' }, ''],
      ['an extra disabled flag', { disabled: false }, ''],
      ['an extra rate limit', { rate_limit_per_hour: 100000 }, ''],
    ];
    for (const [name, overrides, field] of cases) {
      it(`for ${name}`, async () => {
        const res = await postJson(`${moji.api}/auth/register`, registration(overrides));
        const error = await expectError(res, 400, 'VALIDATION_ERROR');
        const issues = error.details['issues'] as { path: string; message: string }[];

        expect(issues.length).toBeGreaterThan(0);
        const extra = Object.keys(overrides).find(
          (key) => !['username', 'password', 'email'].includes(key),
        );
        expect(issues.map((issue) => issue.path)).toContain(field || extra);
        expect(error.message).toContain(field || extra);
      });
    }

    it('and creates no account when an extra role is sent', async () => {
      const body = registration({ role: 'admin' });
      await expectError(await postJson(`${moji.api}/auth/register`, body), 400, 'VALIDATION_ERROR');
      const login = await postJson(`${moji.api}/auth/token`, {
        username: body.username,
        password: body.password,
      });

      await expectError(login, 401, 'AUTH_FAILED');
    });
  });
});

describe('POST /auth/token', () => {
  it('returns a bearer token whose subject is the user id', async () => {
    const user = await createUser(moji.api);
    const res = await postJson(`${moji.api}/auth/token`, {
      username: user.username,
      password: user.password,
    });

    expect(res.status, await res.clone().text()).toBe(200);
    const body = await readJson(res);
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 86400 });
    expect(decodeProtectedHeader(body.access_token).alg).toBe('HS256');
    const claims = decodeJwt(body.access_token);
    expect(claims.sub).toBe(user.id);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(86400);
  });

  it('matches the username regardless of letter case', async () => {
    const user = await createUser(moji.api);
    const res = await postJson(`${moji.api}/auth/token`, {
      username: user.username.toUpperCase(),
      password: user.password,
    });

    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('returns 401 with WWW-Authenticate for a wrong password', async () => {
    const user = await createUser(moji.api);
    const res = await postJson(`${moji.api}/auth/token`, {
      username: user.username,
      password: 'not the password',
    });
    const challenge = res.headers.get('www-authenticate');
    const error = await expectError(res, 401, 'AUTH_FAILED');

    expect(challenge).toBe('Bearer');
    expect(error.type).toBe('authentication_error');
  });

  it('checks only the type and the 1024 cap of a password at login', async () => {
    const user = await createUser(moji.api);
    const short = await postJson(`${moji.api}/auth/token`, {
      username: user.username,
      password: 'x',
    });
    await expectError(short, 401, 'AUTH_FAILED');

    const long = await postJson(`${moji.api}/auth/token`, {
      username: user.username,
      password: 'p'.repeat(1025),
    });
    await expectError(long, 400, 'VALIDATION_ERROR');
  });

  const badBodies: [string, Record<string, unknown>][] = [
    ['no username', { password: 'password123' }],
    ['no password', { username: 'someone' }],
    ['an empty username', { username: '', password: 'password123' }],
    ['a numeric username', { username: 42, password: 'password123' }],
    ['an extra field', { username: 'someone', password: 'password123', grant_type: 'password' }],
  ];
  for (const [name, body] of badBodies) {
    it(`returns 400 for ${name}`, async () => {
      await expectError(await postJson(`${moji.api}/auth/token`, body), 400, 'VALIDATION_ERROR');
    });
  }

  it('follows JWT_EXPIRES_IN', async () => {
    const short = await startMoji({ JWT_EXPIRES_IN: '120' });
    try {
      const user = await createUser(short.api);
      const claims = decodeJwt(user.token);
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
      const res = await postJson(`${short.api}/auth/token`, {
        username: user.username,
        password: user.password,
      });
      expect((await readJson(res)).expires_in).toBe(120);
    } finally {
      await short.close();
    }
  });
});

describe('GET /auth/me', () => {
  it('returns the signed-in user', async () => {
    const user = await createUser(moji.api);
    const res = await fetch(`${moji.api}/auth/me`, { headers: user.headers });

    expect(res.status, await res.clone().text()).toBe(200);
    expect(await readJson(res)).toMatchObject({
      id: user.id,
      username: user.username,
      email: user.email,
      role: 'user',
    });
  });

  it('returns 401 with WWW-Authenticate without a token', async () => {
    const res = await fetch(`${moji.api}/auth/me`);
    const challenge = res.headers.get('www-authenticate');
    await expectError(res, 401, 'AUTH_FAILED');

    expect(challenge).toBe('Bearer');
  });
});
