import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startMoji, type RunningMoji } from './support/moji.js';
import { createTestClient, expectTrpcError } from './support/trpc.js';
import { createUser, uniqueName, type TestUser } from './support/users.js';

let moji: RunningMoji;
let limited: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  [moji, limited] = await Promise.all([startMoji(), startMoji({ RATE_LIMIT_PER_HOUR: '5' })]);
  user = await createUser(moji.api);
});

afterAll(async () => {
  await Promise.all([moji?.close(), limited?.close()]);
});

function registration(overrides: Record<string, unknown> = {}) {
  const username = uniqueName('trpc');

  return { username, password: 'password123', email: `${username}@example.com`, ...overrides };
}

describe('/trpc through @trpc/client: health and accounts', () => {
  it('reads the health', async () => {
    const { client } = createTestClient(moji.origin);
    const health = await client.health.get.query();

    expect(health).toMatchObject({
      status: 'healthy',
      services: { database: 'healthy', model: 'echo' },
    });
  });

  it('registers, logs in and reads the user', async () => {
    const { client } = createTestClient(moji.origin);
    const body = registration();
    const created = await client.auth.register.mutate(body);
    expect(created).toMatchObject({ username: body.username, email: body.email, role: 'user' });

    const token = await client.auth.token.mutate({
      username: body.username,
      password: body.password,
    });
    expect(token.token_type).toBe('bearer');
    const me = await createTestClient(moji.origin, token.access_token).client.auth.me.query();
    expect(me.id).toBe(created.id);
  });

  it('answers duplicates with CONFLICT 409', async () => {
    const { client } = createTestClient(moji.origin);
    const body = registration();
    await client.auth.register.mutate(body);
    const again = { ...body, username: body.username.toUpperCase(), email: `x-${body.email}` };
    const error = await expectTrpcError(client.auth.register.mutate(again), 409, 'CONFLICT');
    expect(error.data?.details).toEqual({ field: 'username' });
    await expectTrpcError(
      client.auth.register.mutate({ ...registration(), email: body.email.toUpperCase() }),
      409,
      'CONFLICT',
    );
  });

  it('answers bad fields with VALIDATION_ERROR 400 naming them, unknown ones included', async () => {
    const { client } = createTestClient(moji.origin);
    const cases: [Record<string, unknown>, string][] = [
      [{ role: 'admin' }, 'role'],
      [{ username: 'a b' }, 'username'],
      [{ password: 'short' }, 'password'],
      [{ email: 'nope' }, 'email'],
      [{ username: `x\u0000y_z` }, 'username'],
    ];
    for (const [overrides, field] of cases) {
      const error = await expectTrpcError(
        client.auth.register.mutate(registration(overrides)),
        400,
        'VALIDATION_ERROR',
      );
      const issues = error.data?.details['issues'] as { path: string }[];
      expect(issues.map((issue) => issue.path)).toContain(field);
      expect(error.data?.type).toBe('invalid_request_error');
    }
  });

  it('answers failed logins with AUTH_FAILED 401, alike for unknown users', async () => {
    const { client } = createTestClient(moji.origin);
    const wrong = await expectTrpcError(
      client.auth.token.mutate({ username: user.username, password: 'not it' }),
      401,
      'AUTH_FAILED',
    );
    const unknown = await expectTrpcError(
      client.auth.token.mutate({ username: uniqueName('ghost'), password: 'not it' }),
      401,
      'AUTH_FAILED',
    );
    expect(wrong.message).toBe(unknown.message);
    for (const password of [null, [], {}]) {
      await expectTrpcError(
        client.auth.token.mutate({ username: user.username, password } as never),
        400,
        'VALIDATION_ERROR',
      );
    }
  });

  it('answers protected calls without a good token with AUTH_FAILED 401', async () => {
    for (const token of [undefined, 'garbage', `${user.token}x`]) {
      const { client, last } = createTestClient(moji.origin, token);
      await expectTrpcError(client.auth.me.query(), 401, 'AUTH_FAILED');
      await expectTrpcError(client.sessions.list.query(), 401, 'AUTH_FAILED');
      expect(last.status).toBe(401);
      expect(last.headers.get('www-authenticate')).toBe('Bearer');
      expect(last.headers.get('x-request-id')).toBeTruthy();
    }
  });
});

describe('/trpc through @trpc/client: sessions and completions', () => {
  it('creates, lists, reads and deletes sessions', async () => {
    const { client } = createTestClient(moji.origin, (await createUser(moji.api)).token);
    const empty = await client.sessions.create.mutate();
    expect(empty).toMatchObject({ title: null, message_count: 0 });
    const titled = await client.sessions.create.mutate({ initial_message: 'over tRPC' });
    expect(titled).toMatchObject({ title: 'over tRPC', message_count: 1 });

    const list = await client.sessions.list.query({ limit: 1 });
    expect(list.data.map((session) => session.id)).toEqual([titled.id]);
    expect(list.has_more).toBe(true);
    const rest = await client.sessions.list.query({ after: titled.id });
    expect(rest.data.map((session) => session.id)).toEqual([empty.id]);

    const reply = await client.chat.createCompletion.mutate({
      model: 'echo',
      session_id: titled.id,
      messages: [{ role: 'user', content: 'echo this' }],
    });
    expect(reply.choices[0]?.message.content).toBe('echo this');
    const messages = await client.sessions.listMessages.query({ session_id: titled.id });
    expect(messages.data.map((message) => message.role)).toEqual(['user', 'user', 'assistant']);

    expect(await client.sessions.delete.mutate({ session_id: titled.id })).toBeUndefined();
    await expectTrpcError(
      client.sessions.delete.mutate({ session_id: titled.id }),
      404,
      'NOT_FOUND',
    );
    await expectTrpcError(
      client.sessions.listMessages.query({ session_id: titled.id }),
      404,
      'NOT_FOUND',
    );
  });

  it('answers unknown, malformed and foreign ids, and unknown models, with NOT_FOUND 404', async () => {
    const owner = createTestClient(moji.origin, (await createUser(moji.api)).token).client;
    const intruder = createTestClient(moji.origin, (await createUser(moji.api)).token).client;
    const session = await owner.sessions.create.mutate({ initial_message: 'mine' });
    for (const id of [
      session.id,
      'not-a-uuid',
      '00000000-0000-0000-0000-000000000000',
      "' OR 1=1--",
    ]) {
      await expectTrpcError(
        intruder.sessions.listMessages.query({ session_id: id }),
        404,
        'NOT_FOUND',
      );
      await expectTrpcError(intruder.sessions.delete.mutate({ session_id: id }), 404, 'NOT_FOUND');
    }
    await expectTrpcError(
      owner.chat.createCompletion.mutate({
        model: 'nope',
        messages: [{ role: 'user', content: 'x' }],
      }),
      404,
      'NOT_FOUND',
    );
    await expectTrpcError(
      owner.sessions.create.mutate({ initial_message: 'x', title: 'no' } as never),
      400,
      'VALIDATION_ERROR',
    );
    await expectTrpcError(owner.sessions.list.query({ limit: 0 }), 400, 'VALIDATION_ERROR');
  });
});

describe('/trpc rate limits through @trpc/client', () => {
  it('charges a batch of N protected calls N points and shows the state after the last', async () => {
    const member = await createUser(limited.api);
    const { client, last } = createTestClient(limited.origin, member.token);
    const [me, models, health] = await Promise.all([
      client.auth.me.query(),
      client.models.list.query(),
      client.health.get.query(),
    ]);
    expect(me.id).toBe(member.id);
    expect(models.object).toBe('list');
    expect(health.status).toBe('healthy');
    expect(last.headers.get('x-ratelimit-limit')).toBe('5');
    expect(last.headers.get('x-ratelimit-remaining')).toBe('3');
    const reset = Number(last.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(Date.now() / 1000);

    await Promise.all([client.auth.me.query(), client.sessions.list.query()]);
    expect(last.headers.get('x-ratelimit-remaining')).toBe('1');

    await Promise.all([
      expectTrpcError(client.auth.me.query(), 429, 'RATE_LIMIT_EXCEEDED'),
      expectTrpcError(client.models.list.query(), 429, 'RATE_LIMIT_EXCEEDED'),
    ]);
    expect(last.status).toBe(429);
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    // Same window; on Redis the computed second may round one apart (see limits-hourly for L1).
    expect(Math.abs(Number(last.headers.get('x-ratelimit-reset')) - reset)).toBeLessThanOrEqual(1);
  });

  it('sends no rate-limit headers where the limit is off, nor on public calls', async () => {
    const { client, last } = createTestClient(moji.origin, user.token);
    await client.auth.me.query();
    expect(last.headers.get('x-ratelimit-limit')).toBeNull();

    const anonymous = createTestClient(limited.origin);
    await anonymous.client.health.get.query();
    expect(anonymous.last.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('/trpc errors outside any procedure keep tRPC shape with the contract code', () => {
  async function trpcBody(res: Response) {
    const text = await res.text();
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(text).not.toMatch(/node_modules|\/src\/|"stack"/);
    const body = JSON.parse(text) as {
      error: { message: string; code: number; data: Record<string, unknown> };
    };

    return body.error;
  }

  it('answers an unknown procedure with NOT_FOUND 404', async () => {
    const res = await fetch(`${moji.origin}/trpc/nope.nothing`);
    expect(res.status).toBe(404);
    const error = await trpcBody(res);
    expect(error.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    expect(typeof error.code).toBe('number');
  });

  it('answers a query sent as a mutation, and the reverse, with METHOD_NOT_ALLOWED 405', async () => {
    const get = await fetch(`${moji.origin}/trpc/auth.register`);
    expect(get.status).toBe(405);
    expect((await trpcBody(get)).data).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
      httpStatus: 405,
    });
    const post = await fetch(`${moji.origin}/trpc/health.get`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.status).toBe(405);
    expect((await trpcBody(post)).data).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
  });

  it('answers a body that is not JSON with UNSUPPORTED_MEDIA_TYPE 415', async () => {
    const res = await fetch(`${moji.origin}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'username=x',
    });
    expect(res.status).toBe(415);
    expect((await trpcBody(res)).data).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      httpStatus: 415,
    });
  });

  it('answers bad JSON with VALIDATION_ERROR 400', async () => {
    const res = await fetch(`${moji.origin}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":',
    });
    expect(res.status).toBe(400);
    expect((await trpcBody(res)).data).toMatchObject({ code: 'VALIDATION_ERROR', httpStatus: 400 });
  });
});
