import { errorCodes } from '@moji/contracts';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { restRoutesOfRouter } from './support/rest-routes-of-router.js';
import { createUser, postJson, uniqueName } from './support/users.js';

interface Response {
  description: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema: { $ref?: string; properties?: Record<string, unknown> } }>;
}
interface Operation {
  operationId: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<string, Response>;
}
interface ErrorSchema {
  properties: { error: { required: string[]; properties: { code: { enum: string[] } } } };
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, unknown> & { Error: ErrorSchema };
    headers: Record<string, unknown>;
    securitySchemes: object;
  };
}

const routes = restRoutesOfRouter();
let moji: RunningMoji;
let document: Document;

beforeAll(async () => {
  moji = await startMoji();
  const res = await fetch(`${moji.api}/openapi.json`);
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  document = (await res.json()) as Document;
});

afterAll(async () => {
  await moji?.close();
});

function operationOf(route: { method: string; path: string }): Operation {
  const operation = document.paths[route.path]?.[route.method.toLowerCase()];
  if (!operation) throw new Error(`${route.method} ${route.path} is missing from the document`);

  return operation;
}

function headerNames(response: Response): string[] {
  return Object.keys(response.headers ?? {});
}

describe('GET /api/v1/openapi.json', () => {
  it('serves a document that passes an OpenAPI 3.1 validator', async () => {
    const result = await new Validator().validate(
      structuredClone(document) as unknown as Record<string, unknown>,
    );

    expect(result.errors, JSON.stringify(result.errors, null, 2)).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\.1\./);
  });

  it('answers HEAD with the headers and no body, and other methods with 405', async () => {
    const head = await fetch(`${moji.api}/openapi.json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');

    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = await fetch(`${moji.api}/openapi.json`, { method });
      expect(res.headers.get('allow'), method).toBe('GET, HEAD');
      await expectError(res, 405, 'METHOD_NOT_ALLOWED');
    }
  });

  it('holds exactly the routes the router serves', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = routes.map((route) => `${route.method} ${route.path}`);

    expect(routes.length).toBeGreaterThanOrEqual(14);
    expect(documented.sort()).toEqual(served.sort());
  });

  it('uses the error envelope for every error code and drops the generator error schemas', () => {
    const schemas = document.components.schemas;
    const error = schemas.Error.properties.error;

    expect(Object.keys(schemas).filter((name) => name.startsWith('error.'))).toEqual([]);
    expect(error.properties.code.enum.sort()).toEqual(Object.keys(errorCodes).sort());
    expect(error.required.sort()).toEqual(['code', 'details', 'message', 'type']);
    expect(document.components.securitySchemes).toEqual({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
  });
});

const routeCases = routes.map((route) => [`${route.method} ${route.path}`, route] as const);

describe.each(routeCases)('%s', (_title, route) => {
  const isProtected = route.meta.auth !== 'public';
  const takesBody = ['POST', 'PATCH', 'PUT'].includes(route.method);

  it('documents its success status and the bearer security it needs', () => {
    const operation = operationOf(route);
    const success = route.meta.successStatus ?? 200;
    const statuses = Object.keys(operation.responses).map(Number);

    expect(statuses.filter((status) => status < 300)).toEqual([success]);
    if (success === 204) expect(operation.responses['204']?.content).toBeUndefined();
    else expect(operation.responses[success]?.content?.['application/json']).toBeDefined();
    expect(operation.security).toEqual(isProtected ? [{ bearerAuth: [] }] : undefined);
  });

  it('documents every error status it can answer, each with the envelope', () => {
    const operation = operationOf(route);
    const expected = [500];
    if (route.hasInput || takesBody) expected.push(400);
    if (takesBody) expected.push(413, 415);
    if (isProtected) expected.push(401, 429);
    if (route.meta.auth === 'admin') expected.push(403);
    if (route.path.includes('{')) expected.push(404);
    expected.push(503);
    const declared = route.meta.openapi?.errorResponses ?? [];
    expected.push(...(Array.isArray(declared) ? declared : Object.keys(declared).map(Number)));

    const errors = Object.keys(operation.responses)
      .map(Number)
      .filter((status) => status >= 400);
    expect(errors.sort()).toEqual([...new Set(expected)].sort());
    for (const status of errors) {
      const schema = operation.responses[status]?.content?.['application/json']?.schema;
      const body =
        route.procedure === 'health.get' && status === 503
          ? undefined
          : '#/components/schemas/Error';
      if (body) expect(schema?.$ref, `${status}`).toBe(body);
    }
  });

  it('documents X-Request-ID on every response, and the limit headers where they are sent', () => {
    for (const [status, response] of Object.entries(operationOf(route).responses)) {
      const names = headerNames(response);
      expect(names, status).toContain('X-Request-ID');
      const limits = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
      if (isProtected) expect(names, status).toEqual(expect.arrayContaining(limits));
      if (status === '429') expect(names).toEqual(expect.arrayContaining(['Retry-After']));
      if (status === '401') expect(names).toContain('WWW-Authenticate');
    }
  });
});

describe('what the document says matches what the server answers', () => {
  it('register 201, create session 201, delete session 204, health 200', async () => {
    const username = uniqueName('doc');
    const observed: [string, string, number][] = [];
    const registered = await postJson(`${moji.api}/auth/register`, {
      username,
      password: 'password123',
      email: `${username}@example.com`,
    });
    observed.push(['post', '/auth/register', registered.status]);
    const user = await createUser(moji.api, 'doc');
    const created = await postJson(`${moji.api}/chat/sessions`, {}, user.headers);
    observed.push(['post', '/chat/sessions', created.status]);
    const { id } = (await created.json()) as { id: string };
    const deleted = await fetch(`${moji.api}/chat/sessions/${id}`, {
      method: 'DELETE',
      headers: user.headers,
    });
    observed.push(['delete', '/chat/sessions/{session_id}', deleted.status]);
    const health = await fetch(`${moji.api}/health`);
    observed.push(['get', '/health', health.status]);

    expect(observed.map(([, , status]) => status)).toEqual([201, 201, 204, 200]);
    for (const [method, path, status] of observed) {
      expect(
        document.paths[path]?.[method]?.responses[status],
        `${method} ${path} ${status}`,
      ).toBeDefined();
    }
  });

  it('documents the event stream of "stream": true, which the server sends', async () => {
    const operation = operationOf({ method: 'POST', path: '/chat/completions' });
    const ok = operation.responses['200'];
    const stream =
      operation.requestBody?.content['application/json']?.schema.properties?.['stream'];

    expect(Object.keys(ok?.content ?? {}).sort()).toEqual([
      'application/json',
      'text/event-stream',
    ]);
    expect(JSON.stringify(stream)).toMatch(/text\/event-stream/);
    expect(document.components.schemas['ChatCompletionChunk']).toBeDefined();

    const user = await createUser(moji.api, 'doc');
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'echo', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      user.headers,
    );
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await res.text()).toMatch(/data: \[DONE\]\n\n$/);
  });
});
