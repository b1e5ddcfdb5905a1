import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { readJson } from './support/read-json.js';
import { createTestClient, expectTrpcError } from './support/trpc.js';
import { createUser, postJson, type TestUser } from './support/users.js';

// B4: trpc-to-openapi turns on zod's coercion in the schemas it serves, and those schemas are
// shared with /trpc. A fresh server (and a fresh module, as vitest isolates files) per order.
let moji: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  moji = await startMoji();
  user = await createUser(moji.api);
});

afterAll(async () => {
  await moji?.close();
});

const base = { model: 'echo', messages: [{ role: 'user', content: 'hello there' }] };

const loose: [string, Record<string, unknown>][] = [
  ['"stream":"false"', { stream: 'false' }],
  ['"stream":"true"', { stream: 'true' }],
  ['"stream":0', { stream: 0 }],
  ['"temperature":"0.5"', { temperature: '0.5' }],
  ['"max_tokens":"100"', { max_tokens: '100' }],
  ['"max_tokens":true', { max_tokens: true }],
  ['"temperature":[]', { temperature: [] }],
  ['"top_p":"1"', { top_p: '1' }],
  ['"seed":"7"', { seed: '7' }],
  ['"logprobs":"false"', { logprobs: 'false' }],
];
const outOfRange: [string, Record<string, unknown>][] = [
  ['max_tokens 0', { max_tokens: 0 }],
  ['max_tokens -1', { max_tokens: -1 }],
  ['max_tokens 1.5', { max_tokens: 1.5 }],
  ['max_tokens 10^12', { max_tokens: 1e12 }],
  ['temperature 2.01', { temperature: 2.01 }],
  ['temperature -0.01', { temperature: -0.01 }],
];
const valid: [string, Record<string, unknown>][] = [
  ['max_tokens null', { max_tokens: null }],
  ['max_tokens 1', { max_tokens: 1 }],
  ['max_tokens 1 000 000', { max_tokens: 1_000_000 }],
  ['temperature 0', { temperature: 0 }],
  ['temperature 2', { temperature: 2 }],
  ['stream false', { stream: false }],
];

function fieldOf(extra: Record<string, unknown>): string {
  return Object.keys(extra)[0] ?? '';
}

async function expectRestRefusals(cases: [string, Record<string, unknown>][]) {
  for (const [name, extra] of cases) {
    const res = await postJson(`${moji.api}/chat/completions`, { ...base, ...extra }, user.headers);
    expect(res.headers.get('content-type'), name).toMatch(/^application\/json/);
    const error = await expectError(res, 400, 'VALIDATION_ERROR');
    const paths = (error.details['issues'] as { path: string }[]).map((issue) => issue.path);
    expect(paths, name).toContain(fieldOf(extra));
  }
}

async function expectTrpcRefusals(cases: [string, Record<string, unknown>][]) {
  const { client } = createTestClient(moji.origin, user.token);
  for (const [, extra] of cases) {
    const input = { ...base, ...extra } as never;
    await expectTrpcError(client.chat.createCompletion.mutate(input), 400, 'VALIDATION_ERROR');
    await expectTrpcError(client.chat.streamCompletion.mutate(input), 400, 'VALIDATION_ERROR');
  }
  await expectTrpcError(
    client.sessions.list.query({ limit: '5' } as never),
    400,
    'VALIDATION_ERROR',
  );
}

async function callEveryRouteCorrectly() {
  const completion = await postJson(`${moji.api}/chat/completions`, base, user.headers);
  expect(completion.status, await completion.clone().text()).toBe(200);
  const stream = await postJson(
    `${moji.api}/chat/completions`,
    { ...base, stream: true },
    user.headers,
  );
  expect(stream.status, await stream.clone().text()).toBe(200);
  await stream.text();
  const session = await postJson(
    `${moji.api}/chat/sessions`,
    { initial_message: 'x' },
    user.headers,
  );
  const { id } = await readJson(session);
  const list = await fetch(`${moji.api}/chat/sessions?limit=5`, { headers: user.headers });
  expect(list.status, await list.clone().text()).toBe(200);
  const messages = await fetch(`${moji.api}/chat/sessions/${id}/messages?limit=2`, {
    headers: user.headers,
  });
  expect(messages.status, await messages.clone().text()).toBe(200);
  const deleted = await fetch(`${moji.api}/chat/sessions/${id}`, {
    method: 'DELETE',
    headers: user.headers,
  });
  expect(deleted.status).toBe(204);
  for (const path of ['/auth/me', '/models', '/health']) {
    expect((await fetch(`${moji.api}${path}`, { headers: user.headers })).status).toBe(200);
  }
}

describe('B4: no loose coercion', () => {
  it('refuses loose types over tRPC before any REST completion call', async () => {
    await expectTrpcRefusals(loose);
  });

  it('refuses loose types over REST on the first completion calls', async () => {
    await expectRestRefusals(loose);
  });

  it('still refuses them over REST and tRPC after every route has been called', async () => {
    await callEveryRouteCorrectly();
    await expectRestRefusals(loose);
    await expectTrpcRefusals(loose);
  });

  it('refuses values out of range and takes those at the edges, over both doors', async () => {
    await expectRestRefusals(outOfRange);
    await expectTrpcRefusals(outOfRange);
    const { client } = createTestClient(moji.origin, user.token);
    for (const [name, extra] of valid) {
      const res = await postJson(
        `${moji.api}/chat/completions`,
        { ...base, ...extra },
        user.headers,
      );
      expect(res.status, `${name}: ${await res.clone().text()}`).toBe(200);
      const reply = await client.chat.createCompletion.mutate({ ...base, ...extra } as never);
      expect(reply.choices[0]?.message.content, name).toBe('hello there');
    }
  });

  it('converts limit in a REST query string only, as the contract says', async () => {
    const { client } = createTestClient(moji.origin, user.token);
    const list = await fetch(`${moji.api}/chat/sessions?limit=3`, { headers: user.headers });
    expect(list.status, await list.clone().text()).toBe(200);
    expect((await client.sessions.list.query({ limit: 3 })).object).toBe('list');
    await expectTrpcError(
      client.sessions.list.query({ limit: '3' } as never),
      400,
      'VALIDATION_ERROR',
    );
  });
});
