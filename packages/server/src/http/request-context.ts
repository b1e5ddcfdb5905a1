import type { Access, Context, Services } from '@moji/contracts';
import { MojiError } from '@moji/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { authenticate } from '../auth/authenticate.js';
import type { TokenIssuer } from '../auth/tokens.js';
import type { UserCache } from '../auth/user-cache.js';
import type { Database } from '../db/database.js';
import { RateLimits, rateLimitHeaders } from '../rate-limit/rate-limits.js';

/** The parts a request context is made from. */
export interface ContextDeps {
  services: Services;
  database: Database;
  tokens: TokenIssuer;
  users: UserCache;
  limits: RateLimits;
  rateLimitPerHour: number;
  /** Upstream silence after which a stream gets a keep-alive comment. */
  streamKeepAliveMs: number;
}

function abortSignalOf(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });

  return controller.signal;
}

/**
 * Makes the context of one HTTP request: on REST one call, on `/trpc` a batch of calls.
 * When any call needs a user, the caller is authenticated and charged one point of their
 * hourly limit per such call; the `X-RateLimit-*` headers are set here, before anything is
 * sent, and a failure is kept for the protected procedures to throw.
 */
export async function createRequestContext(
  deps: ContextDeps,
  options: {
    request: FastifyRequest;
    reply: FastifyReply;
    transport: Context['transport'];
    accesses: Access[];
    needsDatabase: boolean;
  },
): Promise<Context> {
  const { request, reply } = options;
  const context: Context = {
    services: deps.services,
    request: { requestId: request.id, clientIp: request.ip, signal: abortSignalOf(reply) },
    auth: {},
    response: { headers: {} },
    transport: options.transport,
  };
  if (options.needsDatabase) await deps.database.ensureReady();

  const protectedCalls = options.accesses.filter((access) => access !== 'public').length;
  if (protectedCalls === 0) return context;

  try {
    const caller = await authenticate(
      { tokens: deps.tokens, users: deps.users, db: deps.database.db },
      request.headers.authorization,
    );
    context.auth.caller = caller;
    const limit = caller.rateLimitPerHour ?? deps.rateLimitPerHour;
    if (limit > 0) {
      const state = await deps.limits.chargeUser(caller.id, limit, protectedCalls);
      void reply.headers(rateLimitHeaders(state));
      if (state.retryAfter !== undefined) context.auth.error = RateLimits.exceeded(state);
    }
  } catch (error) {
    if (!(error instanceof MojiError) || error.code !== 'AUTH_FAILED') throw error;
    context.auth.error = error;
  }

  return context;
}
