import type { Completion } from '@moji/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { createUser, postJson, type TestUser } from './support/users.js';

let upstream: FakeUpstream;
let moji: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  moji = await startMoji({ LLM_BASE_URL: upstream.baseUrl });
  user = await createUser(moji.api);
});

afterAll(async () => {
  await moji?.close();
  await upstream?.close();
});

function complete(body: Record<string, unknown>, who = user) {
  return postJson(`${moji.api}/chat/completions`, { model: 'm', ...body }, who.headers);
}

async function createSession(body: Record<string, unknown> = {}, who = user): Promise<string> {
  const res = await postJson(`${moji.api}/chat/sessions`, body, who.headers);
  expect(res.status, await res.clone().text()).toBe(201);

  return ((await res.json()) as { id: string }).id;
}

async function storedMessages(sessionId: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${moji.api}/chat/sessions/${sessionId}/messages`, {
    headers: user.headers,
  });
  expect(res.status, await res.clone().text()).toBe(200);

  return ((await res.json()) as { data: Record<string, unknown>[] }).data;
}

function usageOf(userId: string) {
  return moji.server.database.db
    .selectFrom('usage_records')
    .select(['model', 'prompt_tokens', 'completion_tokens'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
}

describe('a session as memory', () => {
  it("sends the stored transcript before the request's messages", async () => {
    const sessionId = await createSession();
    upstream.enqueue({ text: 'First answer.' });
    await complete({
      session_id: sessionId,
      messages: [{ role: 'user', content: 'First question' }],
    });
    const before = upstream.received.length;
    const res = await complete({
      session_id: sessionId,
      messages: [{ role: 'user', content: 'Second question' }],
    });

    expect(res.status, await res.clone().text()).toBe(200);
    expect(upstream.received[before]?.body.messages).toEqual([
      { role: 'user', content: 'First question' },
      { role: 'assistant', content: 'First answer.' },
      { role: 'user', content: 'Second question' },
    ]);
    expect((await storedMessages(sessionId)).map((message) => message['content'])).toEqual([
      'First question',
      'First answer.',
      'Second question',
      'Hello from the fake upstream',
    ]);
  });

  it('stores reasoning apart and sends it back only on turns with tool calls', async () => {
    const sessionId = await createSession();
    const call = {
      id: 'call_7',
      type: 'function',
      function: { name: 'weather', arguments: '{"city":"Oslo"}' },
    };
    upstream.enqueue(
      { text: 'Plain answer.', reasoning: 'Plain reasoning.' },
      {
        json: {
          id: 'chatcmpl-tools',
          object: 'chat.completion',
          created: 1_700_000_000,
          model: 'm',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                reasoning_content: 'Need the weather.',
                tool_calls: [call],
              },
              finish_reason: 'tool_calls',
            },
          ],
          usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
        },
      },
    );
    await complete({
      session_id: sessionId,
      messages: [{ role: 'user', content: 'Think plainly' }],
    });
    const toolTurn = await complete({
      session_id: sessionId,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
    });
    const reply = ((await toolTurn.json()) as Completion).choices[0]?.message;
    expect(reply?.tool_calls).toEqual([call]);

    const stored = await storedMessages(sessionId);
    expect(stored[1]).toMatchObject({
      role: 'assistant',
      content: 'Plain answer.',
      reasoning_content: 'Plain reasoning.',
    });
    // A reply that is only tool calls is a reply.
    expect(stored[3]).toMatchObject({
      role: 'assistant',
      content: null,
      tool_calls: [call],
      reasoning_content: 'Need the weather.',
    });

    const before = upstream.received.length;
    await complete({
      session_id: sessionId,
      messages: [{ role: 'tool', tool_call_id: 'call_7', content: 'Sunny' }],
    });
    const sent = upstream.received[before]?.body.messages ?? [];
    expect(sent[1]).toEqual({ role: 'assistant', content: 'Plain answer.' });
    expect(sent[3]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [call],
      reasoning_content: 'Need the weather.',
    });
    expect(sent[4]).toEqual({ role: 'tool', content: 'Sunny', tool_call_id: 'call_7' });
  });

  it('replays content parts and names as they were sent', async () => {
    const sessionId = await createSession();
    const parts = [
      { type: 'text', text: 'Part one.' },
      { type: 'text', text: 'Part two.' },
    ];
    await complete({
      session_id: sessionId,
      messages: [{ role: 'user', content: parts, name: 'ada' }],
    });
    const before = upstream.received.length;
    await complete({ session_id: sessionId, messages: [{ role: 'user', content: 'More' }] });

    expect(upstream.received[before]?.body.messages?.[0]).toEqual({
      role: 'user',
      content: parts,
      name: 'ada',
    });
  });

  it('answers an unanswered initial message with messages: []', async () => {
    const sessionId = await createSession({ initial_message: 'Tell me a joke' });
    const before = upstream.received.length;
    upstream.enqueue({ text: 'A joke.' });
    const res = await complete({ session_id: sessionId, messages: [] });

    expect(res.status, await res.clone().text()).toBe(200);
    expect(upstream.received[before]?.body.messages).toEqual([
      { role: 'user', content: 'Tell me a joke' },
    ]);
    expect(
      (await storedMessages(sessionId)).map((message) => [message['role'], message['content']]),
    ).toEqual([
      ['user', 'Tell me a joke'],
      ['assistant', 'A joke.'],
    ]);
  });

  it('refuses messages: [] without a session, and when the session ends with a reply', async () => {
    const sessionId = await createSession();
    await complete({ session_id: sessionId, messages: [{ role: 'user', content: 'Hi' }] });
    const before = upstream.received.length;

    const withoutSession = await expectError(
      await complete({ messages: [] }),
      400,
      'VALIDATION_ERROR',
    );
    const answered = await expectError(
      await complete({ session_id: sessionId, messages: [] }),
      400,
      'VALIDATION_ERROR',
    );
    const empty = await expectError(
      await complete({ session_id: await createSession(), messages: [] }),
      400,
      'VALIDATION_ERROR',
    );
    expect(
      [withoutSession, answered, empty].every((error) => error.message.includes('messages')),
    ).toBe(true);
    expect(upstream.received.length).toBe(before);
  });

  it('stores nothing when the model sent nothing, or the upstream failed', async () => {
    const sessionId = await createSession();
    upstream.enqueue({ text: '' }, { status: 400 });
    const empty = await complete({
      session_id: sessionId,
      messages: [{ role: 'user', content: 'Say nothing' }],
    });
    const failed = await complete({
      session_id: sessionId,
      messages: [{ role: 'user', content: 'Fail' }],
    });

    expect(empty.status, await empty.clone().text()).toBe(200);
    expect(failed.status).toBe(400);
    expect(await storedMessages(sessionId)).toEqual([]);
  });

  it('stores nothing for a session deleted while the model answered', async () => {
    const sessionId = await createSession();
    upstream.enqueue({ headersDelayMs: 300 });
    const pending = complete({
      session_id: sessionId,
      messages: [{ role: 'user', content: 'Slow one' }],
    });
    await upstream.waitFor((received) =>
      received.some((request) => request.body.messages?.[0]?.['content'] === 'Slow one'),
    );
    const deleted = await fetch(`${moji.api}/chat/sessions/${sessionId}`, {
      method: 'DELETE',
      headers: user.headers,
    });
    expect(deleted.status).toBe(204);

    await expectError(await pending, 404, 'NOT_FOUND');
    const rows = await moji.server.database.db
      .selectFrom('chat_messages')
      .select('id')
      .where('session_id', '=', sessionId)
      .execute();
    expect(rows).toEqual([]);
  });
});

describe('usage', () => {
  it('is recorded for every call, with or without a session, streamed or not', async () => {
    const someone = await createUser(moji.api);
    const sessionId = await createSession({}, someone);
    upstream.enqueue(
      { usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
      { usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 } },
      { usage: { prompt_tokens: 6, completion_tokens: 7, total_tokens: 13 } },
    );
    await complete({ model: 'a', messages: [{ role: 'user', content: 'x' }] }, someone);
    await complete(
      { model: 'b', session_id: sessionId, messages: [{ role: 'user', content: 'y' }] },
      someone,
    );
    const streamed = await complete(
      { model: 'c', stream: true, messages: [{ role: 'user', content: 'z' }] },
      someone,
    );
    await streamed.text();

    expect(await usageOf(someone.id)).toEqual([
      { model: 'a', prompt_tokens: 1, completion_tokens: 2 },
      { model: 'b', prompt_tokens: 4, completion_tokens: 5 },
      { model: 'c', prompt_tokens: 6, completion_tokens: 7 },
    ]);
  });

  it('is not recorded for calls the upstream refused', async () => {
    const someone = await createUser(moji.api);
    upstream.enqueue({ status: 429 });
    await complete({ messages: [{ role: 'user', content: 'x' }] }, someone);

    expect(await usageOf(someone.id)).toEqual([]);
  });
});
