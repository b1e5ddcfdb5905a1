import { errorCodes } from '@moji/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { restRoutes } from '../src/http/rest-routes.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { rawRequest, type RawResponse } from './support/raw-request.js';
import { createUser, uniqueName, type TestUser } from './support/users.js';

// Generated requests to every REST route (and every procedure over /trpc) may be refused,
// but only with a 4xx in the contract's shape: never a 5xx, never a stray body.
const RUNS = Number(process.env['MOJI_PROPERTY_RUNS'] ?? 250);

let moji: RunningMoji;
let user: TestUser;
let admin: { headers: Record<string, string> };
let victim: TestUser;
let sessionId: string;

beforeAll(async () => {
  const adminName = uniqueName('propadmin');
  moji = await startMoji({
    ADMIN_USERNAME: adminName,
    ADMIN_PASSWORD: 'property admin 123',
    ADMIN_EMAIL: `${adminName}@example.com`,
  });
  user = await createUser(moji.api);
  victim = await createUser(moji.api);
  const login = await fetch(`${moji.api}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: adminName, password: 'property admin 123' }),
  });
  admin = {
    headers: {
      authorization: `Bearer ${((await login.json()) as { access_token: string }).access_token}`,
    },
  };
  const session = await fetch(`${moji.api}/chat/sessions`, {
    method: 'POST',
    headers: user.headers,
  });
  sessionId = ((await session.json()) as { id: string }).id;
});

afterAll(async () => {
  await moji?.close();
});

const printable = (maxLength: number) => fc.string({ unit: 'grapheme-ascii', maxLength });
const anyText = (maxLength: number) =>
  fc.oneof(
    printable(maxLength),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
  );

const pathId = () =>
  fc.oneof(
    fc.constant(sessionId),
    fc.constant(sessionId.toUpperCase()),
    fc.constant(victim.id),
    fc.uuid().map(String),
    fc.constantFrom(
      '%',
      '%zz',
      '%00',
      '..',
      '.',
      "'%20OR%201=1--",
      '%E2%98%83',
      '00000000-0000-0000-0000-000000000000',
    ),
    anyText(300)
      .filter((text) => text.length > 0)
      .map(encodeURIComponent),
  );

const authorization = () =>
  fc.oneof(
    { arbitrary: fc.constant(user.headers['authorization']), weight: 6 },
    { arbitrary: fc.constant(admin.headers['authorization']), weight: 3 },
    fc.constant(undefined),
    printable(200).map((junk) => `Bearer ${junk}`),
    printable(100),
    fc.constant(`${user.headers['authorization']}.junk`),
  );

const contentType = () =>
  fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 8 },
    fc.constant(undefined),
    fc.constantFrom(
      'APPLICATION/JSON; charset=UTF-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ),
    printable(60),
  );

/** A real body for each procedure that takes one, to mutate from. */
function templateOf(procedure: string): Record<string, unknown> {
  const name = uniqueName('prop');
  const templates: Record<string, Record<string, unknown>> = {
    'auth.register': { username: name, password: 'password123', email: `${name}@example.com` },
    'auth.token': { username: user.username, password: user.password },
    'sessions.create': { initial_message: 'hello there' },
    'chat.createCompletion': {
      model: 'echo',
      messages: [{ role: 'user', content: 'hi' }],
      session_id: sessionId,
      stream: true,
    },
    'admin.updateUser': { role: 'user', disabled: false, rate_limit_per_hour: null },
  };

  return templates[procedure] ?? {};
}

/** The route's real body with fields dropped, replaced by anything, or added. */
const likelyBody = (procedure: string) => {
  const template = templateOf(procedure);
  const keys = Object.keys(template);
  const field = keys.length > 0 ? fc.constantFrom(...keys) : printable(12);

  const mutated = fc
    .record({
      drop: fc.subarray(keys),
      replace: fc.dictionary(field, fc.oneof(fc.jsonValue(), anyText(30)), { maxKeys: 2 }),
      extra: fc.dictionary(printable(12), fc.jsonValue(), { maxKeys: 1 }),
      addExtra: fc.boolean(),
    })
    .map(({ drop, replace, extra, addExtra }) => {
      const body: Record<string, unknown> = { ...template, ...replace, ...(addExtra ? extra : {}) };
      for (const key of drop) delete body[key];

      return JSON.stringify(body);
    });

  return fc.oneof(
    { arbitrary: fc.constant(JSON.stringify(template)), weight: 1 },
    { arbitrary: mutated, weight: 3 },
  );
};

const body = (procedure: string, method: string) =>
  fc.oneof(
    { arbitrary: fc.constant(undefined), weight: method === 'GET' || method === 'DELETE' ? 6 : 1 },
    { arbitrary: likelyBody(procedure), weight: 6 },
    { arbitrary: fc.json(), weight: 1 },
    { arbitrary: anyText(200), weight: 1 },
    {
      arbitrary: fc.constantFrom(
        '{',
        '{"a":1,}',
        'null',
        '[]',
        '"hello"',
        '42',
        '{"stream":true',
        '',
      ),
      weight: 1,
    },
  );

const queryValue = () =>
  fc.oneof(
    fc.integer({ min: -5, max: 300 }).map(String),
    fc.uuid().map(String),
    fc.date().map((date) => (Number.isNaN(date.getTime()) ? 'x' : date.toISOString())),
    anyText(40),
  );
const query = () =>
  fc.oneof({ arbitrary: fc.constant(''), weight: 2 }, { arbitrary: queryDictionary(), weight: 1 });
const queryDictionary = () =>
  fc
    .dictionary(fc.constantFrom('limit', 'after', 'since', 'until', 'x', 'limit[]'), queryValue(), {
      maxKeys: 3,
    })
    .map((entries) => new URLSearchParams(entries).toString());

function expectContractAnswer(res: RawResponse, method: string, label: string) {
  const context = `${label} -> ${res.status} ${res.text.slice(0, 500)}`;
  expect(res.status, context).toBeLessThan(500);
  expect(res.headers['x-request-id'], context).toBeTruthy();
  if (res.status < 400 || method === 'HEAD') return;

  const envelope = res.json as { error?: Record<string, unknown> } | undefined;
  expect(Object.keys(envelope ?? {}), context).toEqual(['error']);
  const error = envelope?.error ?? {};
  expect(Object.keys(error).sort(), context).toEqual(['code', 'details', 'message', 'type']);
  const code = error['code'] as keyof typeof errorCodes;
  expect(errorCodes[code]?.status, context).toBe(res.status);
  expect(error['type'], context).toBe(errorCodes[code]?.type);
  expect(typeof error['details'] === 'object' && error['details'] !== null, context).toBe(true);
  expect(res.text, context).not.toMatch(
    /\bat .+:\d+:\d+|node_modules|\/src\/|SELECT |kysely|ZodError|TRPCError/i,
  );
}

describe('generated requests to every REST route', () => {
  it('covers the routes the router serves', () => {
    const paths = restRoutes.map(
      (route) => `${route.method} ${route.procedure.meta.openapi?.path}`,
    );
    expect(paths).toContain('PATCH /admin/users/{id}');
    expect(paths).toContain('POST /chat/completions');
  });

  it('are answered below 500, and every error in the envelope', async () => {
    const route = fc.constantFrom(...restRoutes);
    const method = (declared: string) =>
      fc.oneof(
        { arbitrary: fc.constant(declared), weight: 6 },
        {
          arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
          weight: 1,
        },
      );
    const request = route.chain((picked) =>
      fc.record({
        route: fc.constant(picked),
        method: method(picked.method),
        id: pathId(),
        query: query(),
        body: body(picked.procedure.path, picked.method),
        authorization: authorization(),
        contentType: contentType(),
        requestId: fc.option(printable(200), { nil: undefined }),
      }),
    );

    await fc.assert(
      fc.asyncProperty(request, async (generated) => {
        const template = generated.route.procedure.meta.openapi?.path ?? '/';
        const search = generated.query ? `?${generated.query}` : '';
        const path = `/api/v1${template.replace(/\{\w+\}/g, generated.id)}${search}`;
        const headers: Record<string, string> = {};
        if (generated.authorization !== undefined)
          headers['authorization'] = generated.authorization;
        if (generated.contentType !== undefined && generated.body !== undefined)
          headers['content-type'] = generated.contentType;
        if (generated.requestId !== undefined) headers['x-request-id'] = generated.requestId;

        const res = await rawRequest(moji.origin, {
          method: generated.method,
          path,
          headers,
          body: generated.body,
        });
        expectContractAnswer(
          res,
          generated.method,
          `${generated.method} ${path} ${JSON.stringify(headers)} ${String(generated.body).slice(0, 200)}`,
        );
      }),
      { numRuns: RUNS * 3 },
    );
  }, 120_000);
});

describe('generated calls over /trpc', () => {
  it('are answered below 500, with the contract code in error.data', async () => {
    const procedures = [...new Set(restRoutes.map((route) => route.procedure.path))];
    const call = fc.constantFrom(...procedures).chain((procedure) =>
      fc.record({
        procedure: fc.constant(procedure),
        body: body(procedure, 'POST'),
        authorization: authorization(),
      }),
    );

    await fc.assert(
      fc.asyncProperty(call, async (generated) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (generated.authorization !== undefined)
          headers['authorization'] = generated.authorization;
        const procedure = restRoutes.find(
          (route) => route.procedure.path === generated.procedure,
        )?.procedure;
        const isQuery = procedure?.type === 'query';
        const input = encodeURIComponent(generated.body ?? '');
        const path = `/trpc/${generated.procedure}${isQuery ? `?input=${input}` : ''}`;
        const res = await rawRequest(moji.origin, {
          method: isQuery ? 'GET' : 'POST',
          path,
          headers,
          body: isQuery ? undefined : generated.body,
        });
        const sent = `${path} ${String(generated.body).slice(0, 200)}`;
        const context = `${sent} -> ${res.status} ${res.text.slice(0, 500)}`;

        expect(res.status, context).toBeLessThan(500);
        if (res.status >= 400 && !(res.headers['content-type'] ?? '').includes('event-stream')) {
          const data = (
            res.json as { error?: { data?: { code?: string; httpStatus?: number } } } | undefined
          )?.error?.data;
          expect(data?.httpStatus, context).toBe(res.status);
          expect(errorCodes[data?.code as keyof typeof errorCodes]?.status, context).toBe(
            res.status,
          );
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
