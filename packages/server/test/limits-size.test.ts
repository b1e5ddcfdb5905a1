import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { rawRequest } from './support/raw-request.js';
import { createUser, postJson, type TestUser } from './support/users.js';

const MIB = 1024 * 1024;

let moji: RunningMoji;
let small: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  [moji, small] = await Promise.all([startMoji(), startMoji({ BODY_LIMIT_BYTES: '4096' })]);
  user = await createUser(moji.api);
});

afterAll(async () => {
  await Promise.all([moji?.close(), small?.close()]);
});

describe('bodies are bounded by BODY_LIMIT_BYTES', () => {
  it('answers 413 PAYLOAD_TOO_LARGE past the configured size on every route that takes a body', async () => {
    const smallUser = await createUser(small.api);
    const filler = 'x'.repeat(5000);
    const cases: [string, unknown][] = [
      ['/auth/register', { username: 'someone', password: filler, email: 'a@example.com' }],
      ['/auth/token', { username: 'someone', password: filler }],
      ['/chat/sessions', { initial_message: filler }],
      ['/chat/completions', { model: 'echo', messages: [{ role: 'user', content: filler }] }],
      [
        '/chat/completions',
        { model: 'echo', stream: true, messages: [{ role: 'user', content: filler }] },
      ],
    ];
    for (const [path, body] of cases) {
      await expectError(
        await postJson(`${small.api}${path}`, body, smallUser.headers),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    }
    const fits = await postJson(
      `${small.api}/chat/sessions`,
      { initial_message: 'x'.repeat(3000) },
      smallUser.headers,
    );
    expect(fits.status, await fits.clone().text()).toBe(201);
  });

  it('refuses a 20 MB body quickly, without reading it all into memory', async () => {
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const res = await rawRequest(moji.origin, {
      method: 'POST',
      path: '/api/v1/chat/completions',
      headers: {
        'content-type': 'application/json',
        authorization: user.headers['authorization'] ?? '',
      },
      body: Buffer.alloc(20 * MIB, 'a'),
    });

    expect(res.status, res.text).toBe(413);
    expect(res.json).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(Date.now() - started).toBeLessThan(5000);
    // The test process holds the 20 MB it sent; the server may not add a copy of its own.
    expect(process.memoryUsage().rss - before).toBeLessThan(60 * MIB);
    const after = await fetch(`${moji.api}/auth/me`, { headers: user.headers });
    expect(after.status).toBe(200);
  });
});

describe('every text field is bounded', () => {
  it('takes an initial message of exactly 1 MiB and refuses one character more', async () => {
    const fits = await postJson(
      `${moji.api}/chat/sessions`,
      { initial_message: 'a'.repeat(MIB) },
      user.headers,
    );
    expect(fits.status, (await fits.clone().text()).slice(0, 300)).toBe(201);
    const over = await postJson(
      `${moji.api}/chat/sessions`,
      { initial_message: 'a'.repeat(MIB + 1) },
      user.headers,
    );
    await expectError(over, 400, 'VALIDATION_ERROR');
  });

  it('refuses message content over 1 MiB and more than 2048 messages', async () => {
    const long = { model: 'echo', messages: [{ role: 'user', content: 'a'.repeat(MIB + 1) }] };
    await expectError(
      await postJson(`${moji.api}/chat/completions`, long, user.headers),
      400,
      'VALIDATION_ERROR',
    );
    const many = {
      model: 'echo',
      messages: Array.from({ length: 2049 }, () => ({ role: 'user', content: 'hi' })),
    };
    await expectError(
      await postJson(`${moji.api}/chat/completions`, many, user.headers),
      400,
      'VALIDATION_ERROR',
    );
  });

  it('answers a 2 MB username with 400, at registration and at login', async () => {
    const username = 'u'.repeat(2 * MIB);
    const register = await postJson(`${moji.api}/auth/register`, {
      username,
      password: 'password123',
      email: 'big@example.com',
    });
    await expectError(register, 400, 'VALIDATION_ERROR');
    await expectError(
      await postJson(`${moji.api}/auth/token`, { username, password: 'x' }),
      400,
      'VALIDATION_ERROR',
    );
  });

  it('refuses a paging cursor of more than 256 characters', async () => {
    const res = await fetch(`${moji.api}/chat/sessions?after=${'a'.repeat(257)}`, {
      headers: user.headers,
    });
    await expectError(res, 400, 'VALIDATION_ERROR');
  });
});
