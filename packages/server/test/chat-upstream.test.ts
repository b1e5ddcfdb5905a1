import type { Completion, Health, List, Model } from '@moji/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { createUser, postJson, type TestUser } from './support/users.js';

const hello = [{ role: 'user', content: 'Hello there' }];

describe('LLM_BASE_URL: one OpenAI-compatible upstream', () => {
  let upstream: FakeUpstream;
  let moji: RunningMoji;
  let user: TestUser;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    moji = await startMoji({ LLM_BASE_URL: upstream.baseUrl, LLM_API_KEY: 'sk-upstream-key' });
    user = await createUser(moji.api);
  });

  afterAll(async () => {
    await moji?.close();
    await upstream?.close();
  });

  it('forwards the request as sent, with the key, and answers under the name asked for', async () => {
    const before = upstream.received.length;
    const res = await postJson(
      `${moji.api}/chat/completions`,
      {
        model: 'some-upstream-model',
        messages: hello,
        temperature: 0.3,
        top_p: null,
        max_tokens: 50,
        user: 'end-user-1',
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      },
      user.headers,
    );

    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({
      object: 'chat.completion',
      model: 'some-upstream-model',
      choices: [{ message: { role: 'assistant', content: 'Hello from the fake upstream' } }],
      usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 },
    });
    const sent = upstream.received[before];
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers['authorization']).toBe('Bearer sk-upstream-key');
    // Absent and null fields are not sent: Moji adds no sampling defaults.
    expect(sent?.body).toEqual({
      model: 'some-upstream-model',
      messages: hello,
      temperature: 0.3,
      max_tokens: 50,
      user: 'end-user-1',
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
    });
  });

  it('never forwards session_id', async () => {
    const session = await postJson(`${moji.api}/chat/sessions`, {}, user.headers);
    const { id } = (await session.json()) as { id: string };
    const before = upstream.received.length;
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'm', session_id: id, messages: hello },
      user.headers,
    );

    expect(res.status, await res.clone().text()).toBe(200);
    expect(upstream.received[before]?.body).not.toHaveProperty('session_id');
  });

  it('sends DEFAULT_MODEL upstream when the request names none', async () => {
    const before = upstream.received.length;
    const res = await postJson(`${moji.api}/chat/completions`, { messages: hello }, user.headers);

    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as Completion).model).toBe('deepseek-r1');
    expect(upstream.received[before]?.body.model).toBe('deepseek-r1');
  });

  it("passes an upstream 404 on as Moji's 404 for a name it does not know", async () => {
    upstream.enqueue({ status: 404, json: { error: { message: 'model gpt-9 does not exist' } } });
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'gpt-9', messages: hello },
      user.headers,
    );

    const error = await expectError(res, 404, 'NOT_FOUND');
    expect(error.message).toBe('Model "gpt-9" not found');
  });

  it('passes reasoning_content through in the reply', async () => {
    upstream.enqueue({ text: 'Paris.', reasoning: 'The capital of France is Paris.' });
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'r1', messages: hello },
      user.headers,
    );

    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as Completion).choices[0]?.message).toEqual({
      role: 'assistant',
      content: 'Paris.',
      reasoning_content: 'The capital of France is Paris.',
    });
  });

  it("drops reasoning_content from the request's history except on turns with tool calls", async () => {
    const toolCall = {
      id: 'call_1',
      type: 'function',
      function: { name: 'lookup', arguments: '{}' },
    };
    const messages = [
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'plain answer', reasoning_content: 'plain thoughts' },
      { role: 'user', content: 'second' },
      {
        role: 'assistant',
        content: null,
        reasoning_content: 'tool thoughts',
        tool_calls: [toolCall],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '42' },
    ];
    const before = upstream.received.length;
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'r1', messages },
      user.headers,
    );

    expect(res.status, await res.clone().text()).toBe(200);
    const sent = upstream.received[before]?.body.messages ?? [];
    expect(sent[1]).toEqual({ role: 'assistant', content: 'plain answer' });
    expect(sent[3]).toMatchObject({ reasoning_content: 'tool thoughts', tool_calls: [toolCall] });
  });

  it('lists DEFAULT_MODEL and names the upstream in /health', async () => {
    const models = await fetch(`${moji.api}/models`, { headers: user.headers });
    const health = await fetch(`${moji.api}/health`);

    expect(await models.json()).toEqual({
      object: 'list',
      data: [{ id: 'deepseek-r1', object: 'model', owned_by: 'openai-compatible' }],
      has_more: false,
    });
    expect(((await health.json()) as Health).services.model).toBe('openai-compatible');
  });

  it('no longer serves echo', async () => {
    const before = upstream.received.length;
    upstream.enqueue({ status: 404 });
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'echo', messages: hello },
      user.headers,
    );

    await expectError(res, 404, 'NOT_FOUND');
    expect(upstream.received[before]?.body.model).toBe('echo');
  });
});

describe('MOJI_MODELS: several providers and a model table', () => {
  let deepseek: FakeUpstream;
  let ollama: FakeUpstream;
  let moji: RunningMoji;
  let user: TestUser;

  beforeAll(async () => {
    [deepseek, ollama] = [await startFakeUpstream(), await startFakeUpstream()];
    const table = {
      providers: {
        deepseek: {
          base_url: deepseek.baseUrl,
          api_key_env: 'TEST_DEEPSEEK_KEY',
          extra_fields: ['thinking'],
        },
        ollama: { base_url: ollama.baseUrl },
      },
      models: {
        'deepseek-r1': { provider: 'deepseek', id: 'deepseek-reasoner', images: false },
        'local-r1': { provider: 'ollama', id: 'deepseek-r1:1.5b' },
        llava: { provider: 'ollama', id: 'llava:7b', images: true },
      },
    };
    moji = await startMoji({
      MOJI_MODELS: JSON.stringify(table),
      TEST_DEEPSEEK_KEY: 'sk-deepseek',
    });
    user = await createUser(moji.api);
  });

  afterAll(async () => {
    await moji?.close();
    await Promise.all([deepseek?.close(), ollama?.close()]);
  });

  it("sends each name to its provider under the provider's own id", async () => {
    const toDeepseek = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'deepseek-r1', messages: hello },
      user.headers,
    );
    const toOllama = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'local-r1', messages: hello },
      user.headers,
    );

    expect(toDeepseek.status, await toDeepseek.clone().text()).toBe(200);
    expect(toOllama.status, await toOllama.clone().text()).toBe(200);
    expect(((await toDeepseek.json()) as Completion).model).toBe('deepseek-r1');
    expect(((await toOllama.json()) as Completion).model).toBe('local-r1');
    expect(deepseek.received.at(-1)?.body.model).toBe('deepseek-reasoner');
    expect(deepseek.received.at(-1)?.headers['authorization']).toBe('Bearer sk-deepseek');
    expect(ollama.received.at(-1)?.body.model).toBe('deepseek-r1:1.5b');
    expect(ollama.received.at(-1)?.headers['authorization']).toBeUndefined();
  });

  it("takes a provider's extra fields for its models only, and forwards them", async () => {
    const thinking = { type: 'enabled' };
    const ok = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'deepseek-r1', messages: hello, thinking },
      user.headers,
    );
    const refused = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'local-r1', messages: hello, thinking },
      user.headers,
    );

    expect(ok.status, await ok.clone().text()).toBe(200);
    expect(deepseek.received.at(-1)?.body['thinking']).toEqual(thinking);
    const error = await expectError(refused, 400, 'VALIDATION_ERROR');
    expect(error.message).toContain('thinking');
  });

  it('takes image parts only for models marked with images', async () => {
    const content = [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
    ];
    const messages = [{ role: 'user', content }];
    const ok = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'llava', messages },
      user.headers,
    );
    const refused = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'local-r1', messages },
      user.headers,
    );

    expect(ok.status, await ok.clone().text()).toBe(200);
    expect(ollama.received.at(-1)?.body.messages).toEqual(messages);
    const error = await expectError(refused, 400, 'VALIDATION_ERROR');
    expect(error.message).toContain('messages.0.content.1');
  });

  it('answers 404 for a name outside the table without calling anyone', async () => {
    const calls = deepseek.received.length + ollama.received.length;
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'deepseek-reasoner', messages: hello },
      user.headers,
    );

    await expectError(res, 404, 'NOT_FOUND');
    expect(deepseek.received.length + ollama.received.length).toBe(calls);
  });

  it('answers 502, not 404, when a provider does not know a model of the table', async () => {
    ollama.enqueue({ status: 404 });
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'local-r1', messages: hello },
      user.headers,
    );

    await expectError(res, 502, 'UPSTREAM_ERROR');
  });

  it("lists the table's names with their providers, and names the providers in /health", async () => {
    const models = await fetch(`${moji.api}/models`, { headers: user.headers });
    const health = await fetch(`${moji.api}/health`);

    expect(((await models.json()) as List<Model>).data).toEqual([
      { id: 'deepseek-r1', object: 'model', owned_by: 'deepseek' },
      { id: 'local-r1', object: 'model', owned_by: 'ollama' },
      { id: 'llava', object: 'model', owned_by: 'ollama' },
    ]);
    expect(((await health.json()) as Health).services.model).toBe('deepseek, ollama');
  });
});

describe('start-up checks of the model configuration', () => {
  const provider = { base_url: 'http://127.0.0.1:9/v1' };
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'DEFAULT_MODEL is not in the table',
      {
        MOJI_MODELS: JSON.stringify({
          providers: { p: provider },
          models: { other: { provider: 'p' } },
        }),
      },
      /DEFAULT_MODEL "deepseek-r1" is not served/,
    ],
    ['MOJI_MODELS is not JSON', { MOJI_MODELS: '{providers:' }, /MOJI_MODELS is not valid JSON/],
    [
      'a model names an unknown provider',
      {
        MOJI_MODELS: JSON.stringify({
          providers: {},
          models: { 'deepseek-r1': { provider: 'nope' } },
        }),
      },
      /model "deepseek-r1" names provider "nope"/,
    ],
    [
      'a key variable is not set',
      {
        MOJI_MODELS: JSON.stringify({
          providers: { p: { ...provider, api_key_env: 'TEST_UNSET_KEY_VARIABLE' } },
          models: { 'deepseek-r1': { provider: 'p' } },
        }),
      },
      /TEST_UNSET_KEY_VARIABLE, which is not set/,
    ],
    [
      'LLM_BASE_URL is not a URL',
      { LLM_BASE_URL: 'localhost:11434' },
      /LLM_BASE_URL must be an http/,
    ],
  ];

  for (const [name, env, message] of cases) {
    it(`refuses to start when ${name}`, async () => {
      await expect(startMoji(env)).rejects.toThrow(message);
    });
  }
});
