import {
  appRouter,
  isErrorCode,
  MojiError,
  toMojiError,
  validationError,
  type CompletionRequest,
  type Context,
} from '@moji/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fastifyTRPCOpenApiPlugin, type CreateOpenApiFastifyPluginOptions } from 'trpc-to-openapi';

import { logFailure } from '../observability/log-failure.js';
import { procedureTable } from './procedure-table.js';
import { createRequestContext, type ContextDeps } from './request-context.js';
import { matchRoute, normalizePathEncoding, type RestRoute } from './rest-routes.js';
import { sendError } from './send-error.js';
import { serveCompletion } from './serve-completion.js';

/** The prefix of every REST route. */
export const REST_PREFIX = '/api/v1';

declare module 'fastify' {
  interface FastifyRequest {
    restRoute?: RestRoute;
    restParams?: Record<string, string>;
    mojiContext?: Context;
  }
}

function pathBelowPrefix(url: string): string {
  const path = url.split('?', 1)[0] ?? '';

  return path.slice(REST_PREFIX.length) || '/';
}

/** Answers 404 or 405 for a path under the prefix that no route serves with this method. */
export function rejectUnroutable(
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply | undefined {
  const match = matchRoute(request.method, pathBelowPrefix(request.url));
  if (match.kind === 'not-found') {
    return sendError(
      reply,
      new MojiError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?', 1)[0]}`),
    );
  }
  if (match.kind === 'method-not-allowed') {
    return sendError(
      reply,
      new MojiError('METHOD_NOT_ALLOWED', `Method ${request.method} is not allowed here`, {
        details: { allow: match.allow },
        headers: { Allow: match.allow.join(', ') },
      }),
    );
  }
  request.restRoute = match.route;
  request.restParams = match.params;

  return undefined;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// The contract converts one query value, `limit`; everything else is taken as sent.
function convertQuery(query: Record<string, unknown>): Record<string, unknown> {
  const converted = { ...query };
  const limit = converted['limit'];
  if (typeof limit === 'string' && /^\d{1,9}$/.test(limit)) converted['limit'] = Number(limit);

  return converted;
}

// A body that is JSON but not an object is as wrong as bad JSON, on every route: 400 before
// the caller is authenticated, as the body's other faults (413, 415) are.
function assertObjectBody(request: FastifyRequest): void {
  const body: unknown = request.body;
  if (body !== undefined && !isJsonObject(body)) {
    throw validationError([{ path: [], message: 'The body must be a JSON object' }]);
  }
}

function readInput(route: RestRoute, request: FastifyRequest): unknown {
  const body = request.body as Record<string, unknown> | undefined;
  if (route.method === 'GET' || route.method === 'DELETE') {
    return { ...convertQuery(request.query as Record<string, unknown>), ...request.restParams };
  }
  if (body === undefined && Object.keys(request.restParams ?? {}).length === 0) return undefined;

  return { ...body, ...request.restParams };
}

async function prepareRestCall(deps: ContextDeps, request: FastifyRequest, reply: FastifyReply) {
  const route = request.restRoute;
  if (!route) return;
  const procedure = route.procedure;
  assertObjectBody(request);
  const context = await createRequestContext(deps, {
    request,
    reply,
    transport: 'rest',
    accesses: [procedure.meta.auth],
    needsDatabase: procedure.path !== 'health.get',
  });
  request.mojiContext = context;
  if (procedure.meta.auth !== 'public' && context.auth.error) throw context.auth.error;
  // A role that may not call the route learns nothing about its input: 403 comes before 400.
  if (procedure.meta.auth === 'admin' && context.auth.caller?.role !== 'admin') {
    throw new MojiError('AUTH_FORBIDDEN', 'This route is for admins only');
  }

  const raw = readInput(route, request);
  let input: unknown = raw;
  if (procedure.input) {
    const parsed = procedure.input.safeParse(raw);
    if (!parsed.success) throw validationError(parsed.error.issues);
    input = parsed.data;
  }

  if (procedure.path === 'chat.createCompletion') {
    return serveCompletion(context, input as CompletionRequest, reply, deps.streamKeepAliveMs);
  }
  // Hand the adapter the checked input: it reads `body` for POST and `query` otherwise.
  if (route.method === 'GET' || route.method === 'DELETE') {
    const { ...query } = (input ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(request.restParams ?? {})) delete query[key];
    request.query = query;
  } else {
    request.body = input;
  }
  // trpc-to-openapi only reads bodies whose type starts with `application/json`, letter case
  // and all; Fastify has already parsed the body, so the header can be made plain.
  request.headers['content-type'] = 'application/json';
  request.raw.url = normalizePathEncoding(request.raw.url ?? '');

  return undefined;
}

// The envelope for a body in tRPC's error shape; undefined for any other body (such as
// /health's own answer with 503), which is left as it is.
function envelopeOfTrpcShape(payload: string) {
  try {
    const shape = JSON.parse(payload) as { message?: unknown; data?: { code?: unknown } } | null;
    const code = shape?.data?.code;
    if (!isErrorCode(code)) return undefined;
    const message = typeof shape?.message === 'string' ? shape.message : 'Request failed';

    return new MojiError(code, message).toEnvelope();
  } catch {
    return undefined;
  }
}

/** Serves the REST routes under `/api/v1` through trpc-to-openapi, with the contract's errors. */
export async function registerRestApi(app: FastifyInstance, deps: ContextDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (request.method === 'HEAD') request.raw.method = 'GET';
      const rejected = rejectUnroutable(request, reply);
      if (rejected) return rejected;
    });

    scope.addHook('preHandler', async (request, reply) => {
      try {
        const answered = await prepareRestCall(deps, request, reply);
        if (answered) return answered;
      } catch (error) {
        const mojiError = toMojiError(error);
        logFailure(request.log, error, mojiError);

        return sendError(reply, mojiError);
      }
    });

    scope.addHook('onSend', async (request, reply, payload) => {
      // Fastify's HEAD handling, which runs after this hook, sets Content-Length from the
      // body it drops only while the request still reads as HEAD.
      if (request.routeOptions.method === 'HEAD') request.raw.method = 'HEAD';
      const error = request.mojiContext?.response.error;
      if (error) return JSON.stringify(error.toEnvelope());
      // The adapter can fail before it makes a context (on a malformed Host header, say);
      // its body then still has tRPC's shape, with the contract's code in `data`.
      if (reply.statusCode >= 400 && typeof payload === 'string') {
        const envelope = envelopeOfTrpcShape(payload);
        if (envelope) return JSON.stringify(envelope);
      }
      if (reply.statusCode === 204) {
        reply.removeHeader('content-type');

        return '';
      }

      return payload;
    });

    const options: CreateOpenApiFastifyPluginOptions<typeof appRouter> = {
      basePath: REST_PREFIX,
      router: appRouter,
      createContext: ({ req }: { req: FastifyRequest }) => req.mojiContext as Context,
      responseMeta: ({ ctx, paths, errors }) => {
        const context = ctx;
        if (errors.length > 0) {
          const error = toMojiError(errors[0]);
          if (context) context.response.error = error;

          return {
            status: error.status,
            headers: { ...context?.response.headers, ...error.headers },
          };
        }
        const meta = procedureTable.get(paths?.[0] ?? '')?.meta;

        return {
          status: context?.response.status ?? meta?.successStatus ?? 200,
          headers: context?.response.headers ?? {},
        };
      },
      onError: ({ error, req }) => {
        const mojiError = toMojiError(error);
        logFailure((req as FastifyRequest).log, error, mojiError);
      },
    };
    await scope.register(fastifyTRPCOpenApiPlugin, options);
  });
}
