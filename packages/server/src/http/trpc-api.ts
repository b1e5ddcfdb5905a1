import { appRouter, MojiError, toMojiError } from '@moji/contracts';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import type { FastifyInstance } from 'fastify';

import { logFailure } from '../observability/log-failure.js';
import { accessOf } from './procedure-table.js';
import { createRequestContext, type ContextDeps } from './request-context.js';
import { sendTrpcError } from './send-error.js';

/** The prefix of the native tRPC endpoint. */
export const TRPC_PREFIX = '/trpc';

/** Serves the routers natively under `/trpc`, for typed TypeScript clients. */
export async function registerTrpcApi(app: FastifyInstance, deps: ContextDeps): Promise<void> {
  const trpcOptions: FastifyTRPCPluginOptions<typeof appRouter>['trpcOptions'] = {
    router: appRouter,
    createContext: ({ req, res, info }) =>
      createRequestContext(deps, {
        request: req,
        reply: res,
        transport: 'trpc',
        accesses: info.calls.map((call) => accessOf(call.path)),
        needsDatabase: info.calls.some((call) => call.path !== 'health.get'),
      }),
    responseMeta: ({ ctx, errors }) => {
      const headers: Record<string, string> = { ...ctx?.response.headers };
      for (const error of errors) Object.assign(headers, toMojiError(error).headers);

      return { headers };
    },
    onError: ({ error, req }) => {
      logFailure(req.log, error, toMojiError(error));
    },
  };

  await app.register(async (scope) => {
    // tRPC's HTTP transport is GET for queries and POST for mutations; its adapter would
    // answer HEAD with 204 and fail on TRACE, so other methods are refused before it.
    scope.addHook('onRequest', async (request, reply) => {
      if (request.method === 'GET' || request.method === 'POST') return;
      const allow = 'GET, POST';

      return sendTrpcError(
        request,
        reply,
        new MojiError('METHOD_NOT_ALLOWED', `Method ${request.method} is not allowed here`, {
          details: { allow: allow.split(', ') },
          headers: { Allow: allow },
        }),
      );
    });
    await scope.register(fastifyTRPCPlugin, { prefix: TRPC_PREFIX, trpcOptions });
  });
}
