import { appRouter, completionChunkSchema } from '@moji/contracts';
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';

import {
  errorResponse,
  errorStatusesOf,
  headersOf,
  isProtected,
  type ResponseObject,
} from './openapi-responses.js';
import { errorEnvelopeSchema, responseHeaders } from './openapi-schemas.js';
import { REST_PREFIX } from './rest-api.js';
import { restRoutes, type RestRoute } from './rest-routes.js';

interface OperationObject {
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, object> } }> };
  responses: Record<string, ResponseObject>;
}

const description = [
  "Moji's REST API: an OpenAI-compatible chat API with accounts and stored sessions.",
  'Sign in with `POST /auth/token` and send the token as `Authorization: Bearer <token>`.',
  'Every error answers with the `Error` envelope; every response carries `X-Request-ID`,',
  'and authenticated responses carry `X-RateLimit-*` while the caller has an hourly limit.',
].join(' ');

const tagDescriptions: Readonly<Record<string, string>> = {
  health: 'Whether the server and its services are up; needs no token',
  auth: 'Accounts and bearer tokens',
  models: 'The models this server serves',
  chat: 'OpenAI-compatible chat completions, plain or streamed',
  sessions: 'Stored conversations and their messages',
  admin: 'Users and usage, for admins only',
};

const streamDescription =
  'Server-sent events: one `data: <ChatCompletionChunk JSON>` event per chunk, then' +
  ' `data: [DONE]`.' +
  ' A failure after the first event is one `data: <Error JSON>` event and the end of the stream.';

const streamExample =
  'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,' +
  '"model":"echo","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},' +
  '"finish_reason":null}]}\n\ndata: [DONE]\n\n';

function successResponse(route: RestRoute, generated: ResponseObject): [number, ResponseObject] {
  const status = route.procedure.meta.successStatus ?? 200;
  const headers = headersOf(route, status);
  if (status === 204) return [status, { description: 'No content', headers }];
  const response: ResponseObject = { ...generated, headers };
  if (status === 201) response.description = 'Created';
  if (route.procedure.path === 'chat.createCompletion') {
    response.description =
      'The completion, or with `"stream": true` its chunks as server-sent events';
    response.content = {
      ...response.content,
      'text/event-stream': {
        schema: { type: 'string', description: streamDescription },
        example: streamExample,
      },
    };
  }

  return [status, response];
}

function documentStreamField(operation: OperationObject): void {
  const stream = operation.requestBody?.content['application/json']?.schema.properties?.['stream'];
  if (stream) {
    Object.assign(stream, {
      description:
        'With `true`, the answer is a `text/event-stream` of `ChatCompletionChunk` events',
    });
  }
}

function describeOperation(operation: OperationObject, route: RestRoute): void {
  const generated = operation.responses['200'];
  if (!generated) throw new Error(`No success response generated for ${route.procedure.path}`);
  if (isProtected(route)) operation.security = [{ bearerAuth: [] }];
  else delete operation.security;

  const [status, success] = successResponse(route, generated);
  const responses: Record<string, ResponseObject> = { [status]: success };
  for (const [errorStatus, text] of errorStatusesOf(route)) {
    responses[errorStatus] = errorResponse(route, errorStatus, text);
  }
  if (route.procedure.path === 'health.get') {
    const health = { ...success, description: 'The database is down; the body says which service' };
    responses['503'] = { ...health, headers: headersOf(route, 503) };
  }
  if (route.procedure.path === 'chat.createCompletion') documentStreamField(operation);
  operation.responses = responses;
}

/**
 * The OpenAPI 3.1 document of the REST API, generated from the routers and corrected where
 * trpc-to-openapi cannot say it: real success statuses, the error envelope on every error,
 * the request-id and rate-limit headers, bearer security per route, and the event stream.
 */
export function createOpenApiDocument(version: string): OpenAPIObject {
  const tags = [
    ...new Set(restRoutes.flatMap((route) => route.procedure.meta.openapi?.tags ?? [])),
  ];
  const document = generateOpenApiDocument(appRouter, {
    title: 'Moji API',
    version,
    description,
    baseUrl: REST_PREFIX,
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    },
    defs: { Error: errorEnvelopeSchema, ChatCompletionChunk: completionChunkSchema },
  });

  document.tags = tags.map((name) => ({ name, description: tagDescriptions[name] }));
  const components = (document.components ??= {});
  components.headers = structuredClone(responseHeaders);
  // The generator's own error schemas (`error.BAD_REQUEST`, ...) describe a body Moji never sends.
  for (const name of Object.keys(components.schemas ?? {})) {
    if (name.startsWith('error.')) delete components.schemas?.[name];
  }

  for (const route of restRoutes) {
    const path = route.procedure.meta.openapi?.path ?? '';
    const operation = document.paths?.[path]?.[route.method.toLowerCase() as 'get'];
    if (!operation) throw new Error(`The document lacks ${route.method} ${path}`);
    describeOperation(operation as OperationObject, route);
  }

  return document;
}
