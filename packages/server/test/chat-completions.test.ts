import type { Completion, Health } from '@moji/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { createUser, postJson, type TestUser } from './support/users.js';

let moji: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  moji = await startMoji();
  user = await createUser(moji.api);
});

afterAll(async () => {
  await moji?.close();
});

function complete(body: unknown, headers = user.headers) {
  return postJson(`${moji.api}/chat/completions`, body, headers);
}

const hello = [{ role: 'user', content: 'Hello there' }];

describe('POST /chat/completions with the built-in echo model', () => {
  it("answers with OpenAI's chat.completion object under the name asked for", async () => {
    const res = await complete({ model: 'echo', messages: hello });

    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Completion;
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'echo',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(Number.isInteger(body.created)).toBe(true);
  });

  it('serves DEFAULT_MODEL when the request names no model', async () => {
    const res = await complete({ messages: hello });

    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as Completion).model).toBe('deepseek-r1');
  });

  it('lists echo and the default model, owned by echo', async () => {
    const res = await fetch(`${moji.api}/models`, { headers: user.headers });

    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({
      object: 'list',
      data: [
        { id: 'echo', object: 'model', owned_by: 'echo' },
        { id: 'deepseek-r1', object: 'model', owned_by: 'echo' },
      ],
      has_more: false,
    });
  });

  it('names echo as the model service in /health', async () => {
    const res = await fetch(`${moji.api}/health`);

    expect(((await res.json()) as Health).services.model).toBe('echo');
  });
});

describe('C1: malformed conversations', () => {
  const cases: [string, unknown, string][] = [
    ['messages empty', { messages: [] }, 'messages'],
    ['messages missing', {}, 'messages'],
    ['messages a string', { messages: 'hello' }, 'messages'],
    ['a message without a role', { messages: [{ content: 'hi' }] }, 'messages.0'],
    ['role wizard', { messages: [{ role: 'wizard', content: 'hi' }] }, 'messages.0'],
    ['a user message without content', { messages: [{ role: 'user' }] }, 'messages.0.content'],
    ['content 123', { messages: [{ role: 'user', content: 123 }] }, 'messages.0.content'],
    [
      'a tool message without tool_call_id',
      { messages: [{ role: 'tool', content: 'result' }] },
      'messages.0.tool_call_id',
    ],
  ];

  for (const stream of [false, true]) {
    for (const [name, body, field] of cases) {
      it(`returns 400 naming ${field} for ${name}${stream ? ', streamed' : ''}`, async () => {
        const res = await complete({ ...(body as object), ...(stream ? { stream } : {}) });

        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        const error = await expectError(res, 400, 'VALIDATION_ERROR');
        expect(error.message).toContain(field);
        const issues = (error.details as { issues: { path: string }[] }).issues;
        expect(issues.some((issue) => issue.path.startsWith(field))).toBe(true);
      });
    }
  }

  it('returns 404 NOT_FOUND for an unknown model, streamed or not', async () => {
    for (const stream of [false, true]) {
      const res = await complete({ model: 'no-such-model', messages: hello, stream });
      const error = await expectError(res, 404, 'NOT_FOUND');
      expect(error.message).toContain('no-such-model');
    }
  });
});

describe('C2: shapes real clients send', () => {
  it('accepts content as text parts and keeps all the text in the session', async () => {
    const session = await postJson(`${moji.api}/chat/sessions`, {}, user.headers);
    const { id } = (await session.json()) as { id: string };
    const parts = [
      { type: 'text', text: 'first part' },
      { type: 'text', text: 'second part' },
    ];
    const res = await complete({
      model: 'echo',
      session_id: id,
      messages: [{ role: 'user', content: parts }],
    });

    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as Completion).choices[0]?.message.content).toBe(
      'first part\nsecond part',
    );
    const stored = await fetch(`${moji.api}/chat/sessions/${id}/messages`, {
      headers: user.headers,
    });
    const { data } = (await stored.json()) as { data: { role: string; content: unknown }[] };
    expect(data[0]).toMatchObject({ role: 'user', content: parts });
    expect(data[1]).toMatchObject({ role: 'assistant', content: 'first part\nsecond part' });
  });

  it('accepts a system-only conversation', async () => {
    const res = await complete({
      model: 'echo',
      messages: [{ role: 'system', content: 'Be brief.' }],
    });

    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('accepts an assistant turn with empty content in the history', async () => {
    const messages = [
      { role: 'user', content: 'one' },
      { role: 'assistant', content: '' },
      { role: 'assistant', content: null, tool_calls: [] },
      { role: 'user', content: 'two' },
    ];
    const res = await complete({ model: 'echo', messages });

    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('accepts the optional OpenAI fields clients add', async () => {
    const res = await complete({
      model: 'echo',
      messages: hello,
      top_p: 0.9,
      user: 'end-user-42',
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      temperature: 0,
      max_tokens: null,
      seed: 7,
      stop: ['\n'],
      n: 1,
      logprobs: false,
      response_format: { type: 'text' },
    });

    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('returns 400 naming the image part a model cannot take', async () => {
    const content = [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
    ];
    const res = await complete({ model: 'echo', messages: [{ role: 'user', content }] });

    const error = await expectError(res, 400, 'VALIDATION_ERROR');
    expect(error.message).toContain('messages.0.content.1');
  });
});

describe('fields outside what a provider takes', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['n other than 1', { n: 2 }, 'n'],
    ['an unknown field', { thinking: { type: 'enabled' } }, 'thinking'],
    [
      'stream_options without stream',
      { stream_options: { include_usage: true } },
      'stream_options',
    ],
    ['both token limits', { max_tokens: 10, max_completion_tokens: 10 }, 'max_completion_tokens'],
    [
      'audio output',
      { modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'mp3' } },
      'audio',
    ],
    ['temperature above 2', { temperature: 2.01 }, 'temperature'],
    ['max_tokens 0', { max_tokens: 0 }, 'max_tokens'],
    ['a session_id of the wrong type', { session_id: 42 }, 'session_id'],
  ];

  for (const [name, extra, field] of cases) {
    it(`returns 400 naming ${field} for ${name}`, async () => {
      const res = await complete({ model: 'echo', messages: hello, ...extra });

      const error = await expectError(res, 400, 'VALIDATION_ERROR');
      expect(error.message).toContain(field);
    });
  }
});
