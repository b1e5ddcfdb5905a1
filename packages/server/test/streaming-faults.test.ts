import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startFakeUpstream, type FakeEvent, type FakeUpstream } from './support/fake-upstream.js';
import { startMoji, TEST_JWT_SECRET, type RunningMoji } from './support/moji.js';
import { dataOf, joinContent, readEvents, readFirstEventAndHangUp } from './support/sse-events.js';
import { createUser, postJson, type TestUser } from './support/users.js';

const hello = [{ role: 'user', content: 'Hello there' }];
const BODY_MARKER = 'upstream-body-marker-5c1d';

let upstream: FakeUpstream;
let moji: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  moji = await startMoji({ LLM_BASE_URL: upstream.baseUrl, UPSTREAM_TIMEOUT_MS: '1000' });
  user = await createUser(moji.api);
});

afterAll(async () => {
  await moji?.close();
  await upstream?.close();
});

function stream(body: Record<string, unknown> = {}, headers = user.headers) {
  return postJson(
    `${moji.api}/chat/completions`,
    { model: 'm', messages: hello, stream: true, ...body },
    headers,
  );
}

/** Streams over a connection of its own and hangs up after the first data event. */
function hangUp(body: Record<string, unknown>, headers = user.headers) {
  const request = { model: 'm', messages: hello, stream: true, ...body };

  return readFirstEventAndHangUp(`${moji.api}/chat/completions`, headers, request);
}

function content(text: string): FakeEvent {
  return { chunk: { choices: [{ index: 0, delta: { content: text }, finish_reason: null }] } };
}

const roleOnly: FakeEvent = {
  chunk: {
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
  },
};

async function createSession(owner = user): Promise<string> {
  const res = await postJson(`${moji.api}/chat/sessions`, {}, owner.headers);

  return ((await res.json()) as { id: string }).id;
}

function storedMessages(sessionId: string) {
  return moji.server.database.db
    .selectFrom('chat_messages')
    .select(['role', 'content', 'incomplete'])
    .where('session_id', '=', sessionId)
    .orderBy('position')
    .execute();
}

async function waitForStored(sessionId: string, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await storedMessages(sessionId)).length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function usageCount(userId: string) {
  return moji.server.database.db
    .selectFrom('usage_records')
    .select(({ fn }) => fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
    .then((row) => Number(row.n));
}

describe('S3: failures before the first byte are ordinary JSON errors', () => {
  it('answers 401 as JSON without a token, and for an expired one', async () => {
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const before = upstream.received.length;

    const tokens: Record<string, string>[] = [{}, { authorization: `Bearer ${expired}` }];
    for (const headers of tokens) {
      const res = await stream({}, headers);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      await expectError(res, 401, 'AUTH_FAILED');
    }
    expect(upstream.received.length).toBe(before);
  });

  it('answers 400 as JSON for a broken body that asks for a stream', async () => {
    const res = await fetch(`${moji.api}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...user.headers },
      body: '{"stream":true,"messages":[{"role":"user","content":"hi"}',
    });

    await expectError(res, 400, 'VALIDATION_ERROR');
  });

  it("answers 404 as JSON for another user's session and a malformed session id", async () => {
    const other = await createUser(moji.api);
    const theirs = await createSession(other);
    const before = upstream.received.length;

    for (const sessionId of [theirs, 'not-a-uuid']) {
      const res = await stream({ session_id: sessionId });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      await expectError(res, 404, 'NOT_FOUND');
    }
    expect(upstream.received.length).toBe(before);
    expect(await storedMessages(theirs)).toEqual([]);
  });

  it('charges a stream exactly one request of the hourly limit', async () => {
    const limited = await startMoji({ LLM_BASE_URL: upstream.baseUrl, RATE_LIMIT_PER_HOUR: '3' });
    try {
      const someone = await createUser(limited.api);
      const url = `${limited.api}/chat/completions`;
      const body = { model: 'm', messages: hello, stream: true };

      const first = await postJson(url, body, someone.headers);
      expect(first.headers.get('x-ratelimit-remaining')).toBe('2');
      await readEvents(first);
      const me = await fetch(`${limited.api}/auth/me`, { headers: someone.headers });
      expect(me.headers.get('x-ratelimit-remaining')).toBe('1');
      await readEvents(await postJson(url, body, someone.headers));

      const over = await postJson(url, body, someone.headers);
      expect(over.headers.get('content-type')).toMatch(/^application\/json/);
      expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
      await expectError(over, 429, 'RATE_LIMIT_EXCEEDED');
    } finally {
      await limited.close();
    }
  });
});

describe('failures after the first byte', () => {
  it('ends with one error event and no [DONE] when the upstream connection is cut', async () => {
    const sessionId = await createSession();
    upstream.enqueue({ events: [roleOnly, content('Half an '), content('answer')], ending: 'cut' });
    const res = await stream({ session_id: sessionId });

    expect(res.status).toBe(200);
    const { events } = await readEvents(res);
    const last = JSON.parse(events.at(-1)?.data ?? '{}') as {
      error?: { code: string; type: string };
    };
    expect(last.error).toMatchObject({ code: 'UPSTREAM_ERROR', type: 'api_error' });
    expect(events.some((event) => event.data === '[DONE]')).toBe(false);
    expect(joinContent(dataOf(events).slice(0, -1))).toBe('Half an answer');

    expect(await storedMessages(sessionId)).toEqual([
      { role: 'user', content: 'Hello there', incomplete: false },
      { role: 'assistant', content: 'Half an answer', incomplete: true },
    ]);
  });

  it("turns an upstream error event into Moji's own, without its text", async () => {
    upstream.enqueue({
      events: [content('Partial'), { error: { message: BODY_MARKER } }],
      ending: 'stall',
    });
    const { events, text } = await readEvents(await stream());

    expect(JSON.parse(events.at(-1)?.data ?? '{}').error.code).toBe('UPSTREAM_ERROR');
    expect(text).not.toContain(BODY_MARKER);
    expect(text).not.toContain('[DONE]');
  });

  it('ends with UPSTREAM_TIMEOUT when the upstream stalls, and lets go of it', async () => {
    const before = upstream.received.length;
    upstream.enqueue({ events: [content('Thinking')], ending: 'stall' });
    const { events } = await readEvents(await stream());

    expect(JSON.parse(events.at(-1)?.data ?? '{}').error.code).toBe('UPSTREAM_TIMEOUT');
    await upstream.waitFor((received) => received[before]?.aborted === true);
  });

  it('ends with an error event when the upstream stops before finishing', async () => {
    upstream.enqueue({ events: [content('Cut short')], ending: 'end' });
    const { events } = await readEvents(await stream());

    expect(JSON.parse(events.at(-1)?.data ?? '{}').error.code).toBe('UPSTREAM_ERROR');
  });
});

describe('a client that hangs up', () => {
  it('cancels the upstream call, stores the turn once as incomplete and records usage', async () => {
    const someone = await createUser(moji.api);
    const sessionId = await createSession(someone);
    const before = upstream.received.length;
    upstream.enqueue({ events: [content('The start'), { delayMs: 10_000 }, content(' and more')] });
    const read = await hangUp({ session_id: sessionId }, someone.headers);
    expect(read.status).toBe(200);
    expect(read.text).toContain('The start');

    await upstream.waitFor((received) => received[before]?.aborted === true);
    await waitForStored(sessionId, 2);
    expect(await storedMessages(sessionId)).toEqual([
      { role: 'user', content: 'Hello there', incomplete: false },
      { role: 'assistant', content: 'The start', incomplete: true },
    ]);
    expect(await usageCount(someone.id)).toBe(1);
  });

  it('stores nothing when the model had not begun answering', async () => {
    const sessionId = await createSession();
    const before = upstream.received.length;
    upstream.enqueue({ events: [roleOnly, { delayMs: 10_000 }, content('late')] });
    await hangUp({ session_id: sessionId });

    await upstream.waitFor((received) => received[before]?.aborted === true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await storedMessages(sessionId)).toEqual([]);
  });

  it('S4: twenty clients that read one event and hang up leave a working session', async () => {
    const sessionId = await createSession();
    const before = upstream.received.length;
    const script = {
      events: [content('Partial reply'), { delayMs: 10_000 }, content(' never sent')],
    };
    upstream.enqueue(...Array.from({ length: 20 }, () => script));

    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await hangUp({ session_id: sessionId });
      }),
    );

    await upstream.waitFor(
      (received) => received.slice(before).filter((request) => request.aborted).length === 20,
    );
    await waitForStored(sessionId, 40);
    const stored = await storedMessages(sessionId);
    expect(stored).toHaveLength(40);
    const replies = stored.filter((message) => message.role === 'assistant');
    expect(replies).toHaveLength(20);
    expect(replies.every((reply) => reply.incomplete && reply.content === 'Partial reply')).toBe(
      true,
    );

    const next = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'm', session_id: sessionId, messages: [{ role: 'user', content: 'Still there?' }] },
      user.headers,
    );
    expect(next.status, await next.clone().text()).toBe(200);
    expect(upstream.received.at(-1)?.body.messages).toHaveLength(41);
    expect(await storedMessages(sessionId)).toHaveLength(42);
  });
});
