import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { backend, startMoji, type RunningMoji } from './support/moji.js';
import { createScratchDatabase } from './support/postgres-instance.js';
import { createUser, postJson, uniqueName, type TestUser } from './support/users.js';

/** A server on a database of its own, so that every user and admin in it is known. */
interface AdminFixture {
  moji: RunningMoji;
  admin: { id: string; username: string; password: string; headers: Record<string, string> };
  close(): Promise<void>;
}

async function startWithAdmin(env: Record<string, string> = {}): Promise<AdminFixture> {
  const ownDatabase = backend === 'real' && env['DATABASE_URL'] === undefined;
  const scratch = ownDatabase
    ? await createScratchDatabase(process.env['DATABASE_URL'] ?? '')
    : undefined;
  const username = uniqueName('admin');
  const password = 'admin password 123';
  const moji = await startMoji({
    ADMIN_USERNAME: username,
    ADMIN_PASSWORD: password,
    ADMIN_EMAIL: `${username}@example.com`,
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    ...env,
  });
  const login = await postJson(`${moji.api}/auth/token`, { username, password });
  expect(login.status, await login.clone().text()).toBe(200);
  const headers = {
    authorization: `Bearer ${((await login.json()) as { access_token: string }).access_token}`,
  };
  const me = (await (await fetch(`${moji.api}/auth/me`, { headers })).json()) as {
    id: string;
    role: string;
  };
  expect(me.role).toBe('admin');

  return {
    moji,
    admin: { id: me.id, username, password, headers },
    async close() {
      await moji.close();
      await scratch?.drop();
    },
  };
}

function send(url: string, method: string, headers: Record<string, string>, body?: unknown) {
  return fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const userKeys = [
  'created_at',
  'disabled',
  'email',
  'id',
  'rate_limit_per_hour',
  'role',
  'username',
];

let fixture: AdminFixture;
let api: string;
let adminHeaders: Record<string, string>;

beforeAll(async () => {
  fixture = await startWithAdmin();
  api = fixture.moji.api;
  adminHeaders = fixture.admin.headers;
});

afterAll(async () => {
  await fixture?.close();
});

const patchUser = (id: string, body: unknown, headers = adminHeaders) =>
  send(`${api}/admin/users/${id}`, 'PATCH', headers, body);

describe('GET /admin/users', () => {
  it('lists every user, oldest first, with the disabled flag and hourly limit', async () => {
    const users = [await createUser(api), await createUser(api), await createUser(api)];
    const res = await fetch(`${api}/admin/users?limit=200`, { headers: adminHeaders });

    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as {
      object: string;
      data: Record<string, unknown>[];
      has_more: boolean;
    };
    expect(body.object).toBe('list');
    expect(body.has_more).toBe(false);
    for (const item of body.data) expect(Object.keys(item).sort()).toEqual(userKeys);
    const ids = body.data.map((item) => item['id']);
    expect(ids[0]).toBe(fixture.admin.id);
    const positions = users.map((user) => ids.indexOf(user.id));
    expect(positions.every((position) => position > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(body.data.find((item) => item['id'] === users[0]?.id)).toMatchObject({
      username: users[0]?.username,
      role: 'user',
      disabled: false,
      rate_limit_per_hour: null,
    });
  });

  it('pages with limit and after, and answers 404 for an unknown cursor', async () => {
    await createUser(api);
    await createUser(api);
    const all = (await (
      await fetch(`${api}/admin/users?limit=200`, { headers: adminHeaders })
    ).json()) as {
      data: { id: string }[];
    };
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 100; page += 1) {
      const query = `limit=2${after ? `&after=${after}` : ''}`;
      const res = await fetch(`${api}/admin/users?${query}`, { headers: adminHeaders });
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as { data: { id: string }[]; has_more: boolean };
      expect(body.data.length).toBeLessThanOrEqual(2);
      seen.push(...body.data.map((user) => user.id));
      if (!body.has_more) break;
      after = body.data.at(-1)?.id;
    }
    expect(seen).toEqual(all.data.map((user) => user.id));

    const unknown = await fetch(`${api}/admin/users?after=${crypto.randomUUID()}`, {
      headers: adminHeaders,
    });
    await expectError(unknown, 404, 'NOT_FOUND');
    for (const limit of ['0', '201', 'abc', '1.5']) {
      const res = await fetch(`${api}/admin/users?limit=${limit}`, { headers: adminHeaders });
      await expectError(res, 400, 'VALIDATION_ERROR');
    }
  });
});

describe('who may use the admin routes', () => {
  const routes = (id: string): [string, string, unknown][] => [
    ['GET', '/admin/users', undefined],
    ['PATCH', `/admin/users/${id}`, { role: 'admin' }],
    ['DELETE', `/admin/users/${id}`, undefined],
    ['GET', '/admin/usage', undefined],
  ];

  it('answers 403 AUTH_FORBIDDEN to a signed-in user, and changes nothing', async () => {
    const user = await createUser(api);
    for (const [method, path, body] of routes(user.id)) {
      const error = await expectError(
        await send(`${api}${path}`, method, user.headers, body),
        403,
        'AUTH_FORBIDDEN',
      );
      expect(error.type).toBe('permission_error');
    }
    const me = (await (await fetch(`${api}/auth/me`, { headers: user.headers })).json()) as {
      role: string;
    };
    expect(me.role).toBe('user');
  });

  it('answers 403 before looking at the input', async () => {
    const user = await createUser(api);
    const bad = await send(`${api}/admin/users/${user.id}`, 'PATCH', user.headers, {
      role: 'root',
      x: 1,
    });
    await expectError(bad, 403, 'AUTH_FORBIDDEN');
    const badQuery = await fetch(`${api}/admin/usage?since=yesterday&limit=0`, {
      headers: user.headers,
    });
    await expectError(badQuery, 403, 'AUTH_FORBIDDEN');
  });

  it('answers 401 without a token', async () => {
    const user = await createUser(api);
    for (const [method, path, body] of routes(user.id)) {
      await expectError(await send(`${api}${path}`, method, {}, body), 401, 'AUTH_FAILED');
    }
  });

  it('answers 403 over /trpc too, with the contract code in error.data', async () => {
    const user = await createUser(api);
    const res = await send(`${fixture.moji.origin}/trpc/admin.updateUser`, 'POST', user.headers, {
      id: user.id,
      role: 'admin',
    });
    const text = await res.text();

    expect(res.status, text).toBe(403);
    const body = JSON.parse(text) as { error: { data: { code: string; httpStatus: number } } };
    expect(body.error.data).toMatchObject({ code: 'AUTH_FORBIDDEN', httpStatus: 403 });
    const list = await fetch(`${fixture.moji.origin}/trpc/admin.listUsers`, {
      headers: adminHeaders,
    });
    expect(list.status, await list.clone().text()).toBe(200);
  });
});

describe('PATCH /admin/users/{id}', () => {
  it('promotes a user, who may use admin routes at once, and demotes them again', async () => {
    const user = await createUser(api);
    const promoted = await patchUser(user.id, { role: 'admin' });

    expect(promoted.status, await promoted.clone().text()).toBe(200);
    const body = (await promoted.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(userKeys);
    expect(body).toMatchObject({
      id: user.id,
      username: user.username,
      role: 'admin',
      disabled: false,
    });
    const asAdmin = await fetch(`${api}/admin/users`, { headers: user.headers });
    expect(asAdmin.status, await asAdmin.clone().text()).toBe(200);

    const demoted = await patchUser(user.id, { role: 'user' });
    expect(demoted.status, await demoted.clone().text()).toBe(200);
    await expectError(
      await fetch(`${api}/admin/users`, { headers: user.headers }),
      403,
      'AUTH_FORBIDDEN',
    );
  });

  it('disables a user at once; their login is answered like a wrong password', async () => {
    const user = await createUser(api);
    const disabled = await patchUser(user.id, { disabled: true });
    expect(disabled.status, await disabled.clone().text()).toBe(200);
    expect(await disabled.json()).toMatchObject({ disabled: true });

    await expectError(await fetch(`${api}/auth/me`, { headers: user.headers }), 401, 'AUTH_FAILED');
    await expectError(
      await fetch(`${api}/chat/sessions`, { headers: user.headers }),
      401,
      'AUTH_FAILED',
    );
    const rightPassword = await postJson(`${api}/auth/token`, {
      username: user.username,
      password: user.password,
    });
    const wrongPassword = await postJson(`${api}/auth/token`, {
      username: user.username,
      password: 'wrong one!',
    });
    const rightText = await rightPassword.text();
    expect(rightPassword.status, rightText).toBe(401);
    expect(rightText).toBe(await wrongPassword.text());

    const enabled = await patchUser(user.id, { disabled: false });
    expect(enabled.status, await enabled.clone().text()).toBe(200);
    const me = await fetch(`${api}/auth/me`, { headers: user.headers });
    expect(me.status, await me.clone().text()).toBe(200);
  });

  it("sets a user's own hourly limit, which applies at once; 0 turns it off", async () => {
    const user = await createUser(api);
    const limited = await patchUser(user.id, { rate_limit_per_hour: 2 });
    expect(await limited.json()).toMatchObject({ rate_limit_per_hour: 2 });
    const first = await fetch(`${api}/auth/me`, { headers: user.headers });
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    await fetch(`${api}/auth/me`, { headers: user.headers });
    await expectError(
      await fetch(`${api}/auth/me`, { headers: user.headers }),
      429,
      'RATE_LIMIT_EXCEEDED',
    );

    const raised = await patchUser(user.id, { rate_limit_per_hour: 10 });
    expect(await raised.json()).toMatchObject({ rate_limit_per_hour: 10 });
    const again = await fetch(`${api}/auth/me`, { headers: user.headers });
    expect(again.status, await again.clone().text()).toBe(200);
    expect(again.headers.get('x-ratelimit-remaining')).toBe('6');

    for (const value of [0, null]) {
      await patchUser(user.id, { rate_limit_per_hour: value });
      const free = await fetch(`${api}/auth/me`, { headers: user.headers });
      expect(free.status, await free.clone().text()).toBe(200);
      expect(free.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  it('keeps the user as they were for an empty body', async () => {
    const user = await createUser(api);
    const res = await patchUser(user.id, {});
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({
      id: user.id,
      role: 'user',
      disabled: false,
      rate_limit_per_hour: null,
    });
  });

  const invalid: [string, unknown][] = [
    ['an unknown role', { role: 'root' }],
    ['a role of another case', { role: 'Admin' }],
    ['disabled as a string', { disabled: 'true' }],
    ['disabled as a number', { disabled: 1 }],
    ['a negative limit', { rate_limit_per_hour: -1 }],
    ['a fractional limit', { rate_limit_per_hour: 1.5 }],
    ['a limit as a string', { rate_limit_per_hour: '5' }],
    ['a limit past the maximum', { rate_limit_per_hour: 1e10 }],
    ['a field admins may not set', { email: 'new@example.com' }],
    ['a password', { password: 'new password 123' }],
    ['a body that is a list', [{ role: 'admin' }]],
  ];
  for (const [name, body] of invalid) {
    it(`answers 400 VALIDATION_ERROR for ${name}, and changes nothing`, async () => {
      const user = await createUser(api);
      await expectError(await patchUser(user.id, body), 400, 'VALIDATION_ERROR');
      const me = (await (
        await fetch(`${api}/auth/me`, { headers: user.headers })
      ).json()) as Record<string, unknown>;
      expect(me).toMatchObject({ role: 'user', email: user.email });
    });
  }

  it('answers 404 for unknown and malformed ids, and finds an id in upper case', async () => {
    const user = await createUser(api);
    const ids = [
      crypto.randomUUID(),
      'not-a-uuid',
      '00000000-0000-0000-0000-000000000000',
      `${user.id}0`,
      "'%20OR%201=1--",
      '%E2%98%83',
      'a'.repeat(5000),
    ];
    for (const id of ids) {
      await expectError(await patchUser(id, { role: 'admin' }), 404, 'NOT_FOUND');
      await expectError(
        await send(`${api}/admin/users/${id}`, 'DELETE', adminHeaders),
        404,
        'NOT_FOUND',
      );
    }
    const upper = await patchUser(user.id.toUpperCase(), { rate_limit_per_hour: 7 });
    expect(upper.status, await upper.clone().text()).toBe(200);
    expect(await upper.json()).toMatchObject({ id: user.id, rate_limit_per_hour: 7 });
  });

  it('answers 409 when an admin changes their own role or disabled flag, or deletes themselves', async () => {
    const self = fixture.admin.id;
    for (const body of [
      { role: 'user' },
      { role: 'admin' },
      { disabled: true },
      { disabled: false },
    ]) {
      const error = await expectError(await patchUser(self, body), 409, 'CONFLICT');
      expect(error.details).toEqual({ reason: 'own_account' });
    }
    await expectError(
      await send(`${api}/admin/users/${self}`, 'DELETE', adminHeaders),
      409,
      'CONFLICT',
    );

    const ownLimit = await patchUser(self, { rate_limit_per_hour: 0 });
    expect(ownLimit.status, await ownLimit.clone().text()).toBe(200);
    expect(await ownLimit.json()).toMatchObject({
      role: 'admin',
      disabled: false,
      rate_limit_per_hour: 0,
    });
  });
});

async function complete(user: TestUser, body: Record<string, unknown>) {
  const res = await postJson(`${api}/chat/completions`, { model: 'echo', ...body }, user.headers);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  if (body['stream'] !== true) return (JSON.parse(text) as { usage: Usage }).usage;
  const events = text.split('\n\n').filter((event) => event.startsWith('data: {'));
  const chunks = events.map((event) => JSON.parse(event.slice(6)) as { usage?: Usage | null });

  return chunks.find((chunk) => chunk.usage)?.usage as Usage;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

interface UsageRow extends Usage {
  user_id: string;
  username: string;
  requests: number;
}

async function readUsage(query = ''): Promise<UsageRow[]> {
  const rows: UsageRow[] = [];
  let after = '';
  for (let page = 0; page < 50; page += 1) {
    const res = await fetch(`${api}/admin/usage?limit=200${after}${query}`, {
      headers: adminHeaders,
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { data: UsageRow[]; has_more: boolean };
    rows.push(...body.data);
    if (!body.has_more) return rows;
    after = `&after=${body.data.at(-1)?.user_id}`;
  }

  return rows;
}

describe('DELETE /admin/users/{id}', () => {
  it('deletes a user and their sessions; their token gets 401 and their usage stays', async () => {
    const user = await createUser(api);
    const session = (await (
      await postJson(`${api}/chat/sessions`, { initial_message: 'hi' }, user.headers)
    ).json()) as {
      id: string;
    };
    const usage = await complete(user, {
      session_id: session.id,
      messages: [{ role: 'user', content: 'one two' }],
    });

    const res = await send(`${api}/admin/users/${user.id}`, 'DELETE', adminHeaders);
    expect(res.status, await res.clone().text()).toBe(204);
    expect(await res.text()).toBe('');

    for (const path of ['/auth/me', '/chat/sessions', `/chat/sessions/${session.id}/messages`]) {
      await expectError(
        await fetch(`${api}${path}`, { headers: user.headers }),
        401,
        'AUTH_FAILED',
      );
    }
    const db = fixture.moji.server.database.db;
    const sessions = await db
      .selectFrom('chat_sessions')
      .select('id')
      .where('user_id', '=', user.id)
      .execute();
    const messages = await db
      .selectFrom('chat_messages')
      .select('id')
      .where('session_id', '=', session.id)
      .execute();
    expect([sessions.length, messages.length]).toEqual([0, 0]);
    await expectError(
      await send(`${api}/admin/users/${user.id}`, 'DELETE', adminHeaders),
      404,
      'NOT_FOUND',
    );

    const kept = (await readUsage()).find((row) => row.user_id === user.id);
    expect(kept).toEqual({
      user_id: user.id,
      username: user.username,
      requests: 1,
      ...pickTokens(usage),
    });
  });

  it('leaves an account that reuses the name out of reach of the old token', async () => {
    const user = await createUser(api);
    await postJson(`${api}/chat/sessions`, { initial_message: 'old' }, user.headers);
    await send(`${api}/admin/users/${user.id}`, 'DELETE', adminHeaders);
    const again = await postJson(`${api}/auth/register`, {
      username: user.username,
      password: user.password,
      email: user.email,
    });
    expect(again.status, await again.clone().text()).toBe(201);

    await expectError(await fetch(`${api}/auth/me`, { headers: user.headers }), 401, 'AUTH_FAILED');
    const login = await postJson(`${api}/auth/token`, {
      username: user.username,
      password: user.password,
    });
    const token = ((await login.json()) as { access_token: string }).access_token;
    const list = await fetch(`${api}/chat/sessions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await list.json()) as { data: unknown[] }).data).toEqual([]);
  });
});

function pickTokens(usage: Usage): Usage {
  return { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens };
}

describe('GET /admin/usage', () => {
  it('sums chat completions per user, streamed or not, and nothing else', async () => {
    const [first, second] = [await createUser(api), await createUser(api)];
    const spent = [
      await complete(first, { messages: [{ role: 'user', content: 'alpha beta gamma' }] }),
      await complete(first, {
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'delta epsilon' }],
      }),
    ];
    const other = await complete(second, { messages: [{ role: 'user', content: 'zeta' }] });
    await postJson(`${api}/chat/sessions`, { initial_message: 'not a completion' }, second.headers);
    await fetch(`${api}/models`, { headers: second.headers });

    const rows = await readUsage();
    expect(rows.find((row) => row.user_id === first.id)).toEqual({
      user_id: first.id,
      username: first.username,
      requests: 2,
      prompt_tokens: spent.reduce((sum, usage) => sum + usage.prompt_tokens, 0),
      completion_tokens: spent.reduce((sum, usage) => sum + usage.completion_tokens, 0),
    });
    expect(rows.find((row) => row.user_id === second.id)).toEqual({
      user_id: second.id,
      username: second.username,
      requests: 1,
      ...pickTokens(other),
    });
    const ids = rows.map((row) => row.user_id);
    expect([...ids].sort()).toEqual(ids);
  });

  it('counts only calls between since (inclusive) and until (exclusive)', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const user = await createUser(api);
    await complete(user, { messages: [{ role: 'user', content: 'timed call' }] });
    const after = new Date(Date.now() + 1000).toISOString();
    const find = async (query: string) =>
      (await readUsage(query)).find((row) => row.user_id === user.id);

    expect((await find(`&since=${before}`))?.requests).toBe(1);
    expect((await find(`&since=${before}&until=${after}`))?.requests).toBe(1);
    expect(await find(`&since=${after}`)).toBeUndefined();
    expect(await find(`&until=${before}`)).toBeUndefined();
    const offset = encodeURIComponent(
      new Date(Date.parse(before)).toISOString().replace('Z', '+00:00'),
    );
    expect((await find(`&since=${offset}`))?.requests).toBe(1);
  });

  it('answers 400 for malformed times, a period that ends before it starts, and bad paging', async () => {
    const now = new Date().toISOString();
    const queries = [
      'since=yesterday',
      'until=2026-13-01T00:00:00Z',
      'since=1700000000',
      `since=${now}&until=${new Date(Date.now() - 60_000).toISOString()}`,
      'limit=0',
      'limit=201',
      'bogus=1',
    ];
    for (const query of queries) {
      await expectError(
        await fetch(`${api}/admin/usage?${query}`, { headers: adminHeaders }),
        400,
        'VALIDATION_ERROR',
      );
    }
    await expectError(
      await fetch(`${api}/admin/usage?after=nope`, { headers: adminHeaders }),
      404,
      'NOT_FOUND',
    );
  });
});

describe('the last admin', () => {
  it('survives two admins demoting each other at once', async () => {
    const local = await startWithAdmin();
    try {
      const other = await createUser(local.moji.api);
      const promoted = await send(
        `${local.moji.api}/admin/users/${other.id}`,
        'PATCH',
        local.admin.headers,
        {
          role: 'admin',
        },
      );
      expect(promoted.status, await promoted.clone().text()).toBe(200);

      const answers = await Promise.all([
        send(`${local.moji.api}/admin/users/${other.id}`, 'PATCH', local.admin.headers, {
          role: 'user',
        }),
        send(`${local.moji.api}/admin/users/${local.admin.id}`, 'PATCH', other.headers, {
          role: 'user',
        }),
      ]);
      const statuses = answers.map((res) => res.status).sort();
      expect(statuses[0], await answers[0]?.clone().text()).toBe(200);
      expect([403, 409], await answers[1]?.clone().text()).toContain(statuses[1]);
      const admins = await local.moji.server.database.db
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'admin')
        .where('disabled', '=', false)
        .execute();
      expect(admins).toHaveLength(1);
    } finally {
      await local.close();
    }
  });

  it.runIf(backend === 'real')(
    'is kept even by an admin whose role is still cached in another process',
    async () => {
      const scratch = await createScratchDatabase(process.env['DATABASE_URL'] ?? '');
      const first = await startWithAdmin({ DATABASE_URL: scratch.url });
      const second = await startMoji({ DATABASE_URL: scratch.url });
      try {
        const other = await createUser(first.moji.api);
        await send(`${first.moji.api}/admin/users/${other.id}`, 'PATCH', first.admin.headers, {
          role: 'admin',
        });
        // The second process now holds `other` as an admin for up to five seconds.
        const warm = await fetch(`${second.api}/admin/users`, { headers: other.headers });
        expect(warm.status, await warm.clone().text()).toBe(200);
        const demoted = await send(
          `${first.moji.api}/admin/users/${other.id}`,
          'PATCH',
          first.admin.headers,
          {
            role: 'user',
          },
        );
        expect(demoted.status, await demoted.clone().text()).toBe(200);

        const target = `${second.api}/admin/users/${first.admin.id}`;
        for (const [method, body] of [
          ['PATCH', { role: 'user' }],
          ['PATCH', { disabled: true }],
          ['DELETE', undefined],
        ] as const) {
          const error = await expectError(
            await send(target, method, other.headers, body),
            409,
            'CONFLICT',
          );
          expect(error.details).toEqual({ reason: 'last_admin' });
        }
        const me = (await (
          await fetch(`${first.moji.api}/auth/me`, { headers: first.admin.headers })
        ).json()) as {
          role: string;
        };
        expect(me.role).toBe('admin');
      } finally {
        await second.close();
        await first.close();
        await scratch.drop();
      }
    },
  );
});
