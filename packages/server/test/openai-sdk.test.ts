import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { createUser, type TestUser } from './support/users.js';

let upstream: FakeUpstream;
let moji: RunningMoji;
let user: TestUser;
let openai: OpenAI;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  moji = await startMoji({ LLM_BASE_URL: upstream.baseUrl });
  user = await createUser(moji.api);
  openai = new OpenAI({ baseURL: moji.api, apiKey: user.token, maxRetries: 0 });
});

afterAll(async () => {
  await moji?.close();
  await upstream?.close();
});

const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Say hello.' },
];

describe('the official openai package against /api/v1', () => {
  it('creates a plain completion', async () => {
    upstream.enqueue({ text: 'Hello, world.' });
    const completion = await openai.chat.completions.create({ model: 'deepseek-r1', messages });

    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('deepseek-r1');
    expect(completion.choices[0]?.message.content).toBe('Hello, world.');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBe(12);
  });

  it('streams a reply that joins up from its deltas', async () => {
    upstream.enqueue({ text: 'A reply in five words.' });
    const stream = await openai.chat.completions.create({
      model: 'deepseek-r1',
      messages,
      stream: true,
    });

    let text = '';
    const finishes: string[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      expect(chunk.usage ?? undefined).toBeUndefined();
    }
    expect(text).toBe('A reply in five words.');
    expect(finishes).toEqual(['stop']);
  });

  it('streams with usage when asked', async () => {
    upstream.enqueue({ usage: { prompt_tokens: 11, completion_tokens: 6, total_tokens: 17 } });
    const stream = await openai.chat.completions.create({
      model: 'deepseek-r1',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });

    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 11,
      completion_tokens: 6,
      total_tokens: 17,
    });
  });

  it('surfaces a 401 as its AuthenticationError', async () => {
    const stranger = new OpenAI({ baseURL: moji.api, apiKey: 'not-a-moji-token', maxRetries: 0 });
    const error = await stranger.chat.completions
      .create({ model: 'deepseek-r1', messages })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('AUTH_FAILED');
  });

  it("surfaces an unknown model as its NotFoundError, and Moji's 400 as its BadRequestError", async () => {
    upstream.enqueue({ status: 404 });
    const missing = await openai.chat.completions
      .create({ model: 'no-such-model', messages })
      .catch((caught: unknown) => caught);
    const invalid = await openai.chat.completions
      .create({ model: 'deepseek-r1', messages, n: 3 })
      .catch((caught: unknown) => caught);

    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect((invalid as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('VALIDATION_ERROR');
  });

  it('lists the served models', async () => {
    const models = [];
    for await (const model of openai.models.list()) models.push(model.id);

    expect(models).toEqual(['deepseek-r1']);
  });
});
