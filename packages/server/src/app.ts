import { readFileSync } from 'node:fs';

import cors from '@fastify/cors';
import { MojiError } from '@moji/contracts';
import type { Redis } from 'ioredis';
import { fastify, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

import { ensureAdminAccount } from './admin-account.js';
import { TokenIssuer } from './auth/tokens.js';
import { UserCache } from './auth/user-cache.js';
import { ConfigError, type Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { answerClientError } from './http/answer-client-error.js';
import { sealInputSchemasAgainstCoercion } from './http/coercion-guard.js';
import { registerDocsRoutes } from './http/docs-routes.js';
import { answerFrameworkError, registerErrorHandlers } from './http/error-handlers.js';
import { resolveRequestId } from './http/request-id.js';
import { registerRestApi } from './http/rest-api.js';
import { sendError } from './http/send-error.js';
import { registerTrpcApi } from './http/trpc-api.js';
import { createLogger } from './observability/logger.js';
import { createModelRegistry } from './providers/create-model-registry.js';
import { RateLimits } from './rate-limit/rate-limits.js';
import { connectRedis } from './rate-limit/redis-connection.js';
import { UsageRecorder } from './services/chat/usage-recorder.js';
import { createServices } from './services/create-services.js';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** A built server: the Fastify app and the parts it owns. */
export interface MojiServer {
  app: FastifyInstance;
  database: Database;
  redis: Redis | undefined;
  log: Logger;
  users: UserCache;
  /**
   * Settles once the database is migrated and the admin account made (PostgreSQL may come up
   * later than the server); rejects with a ConfigError when the settings cannot be applied.
   */
  ready: Promise<void>;
}

async function prepareDatabase(database: Database, log: Logger, stopped: AbortSignal) {
  // Readiness includes the admin account (see buildServer), so its first login cannot race it.
  const attempt = () => database.ensureReady();
  if (database.kind === 'pglite') return attempt();

  // PostgreSQL may be down at start-up: serve 503 meanwhile and keep trying.
  for (let delay = 1000; !stopped.aborted; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      log.warn({ err: error }, 'database not ready; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }
}

/** Builds the server from its configuration; call `app.listen` to serve. */
export async function buildServer(
  config: Config,
  log = createLogger(config.logLevel),
): Promise<MojiServer> {
  sealInputSchemasAgainstCoercion();
  const models = createModelRegistry(config);
  const users = new UserCache();
  const admin = config.admin;
  const database: Database = openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    log,
    prepare: admin ? () => ensureAdminAccount(database, users, admin) : undefined,
  });
  const redis = config.redisUrl ? connectRedis(config.redisUrl, log) : undefined;
  const tokens = new TokenIssuer(config.jwtSecret, config.jwtExpiresIn);
  const limits = new RateLimits(config, redis);
  const usage = new UsageRecorder(database, log);
  const services = createServices({
    config,
    database,
    tokens,
    limits,
    users,
    models,
    usage,
    redis,
    log,
    version,
  });

  const stopping = new AbortController();
  const ready = prepareDatabase(database, log, stopping.signal);
  if (database.kind === 'pglite') await ready;
  // main.ts stops the process on a refused setting; until then requests get its answer.
  else ready.catch(() => {});

  const baseLogger: FastifyBaseLogger = log;
  const app: FastifyInstance = fastify({
    loggerInstance: baseLogger,
    disableRequestLogging: true,
    requestIdLogLabel: 'requestId',
    genReqId: (request) => resolveRequestId(request.headers['x-request-id']),
    bodyLimit: config.bodyLimitBytes,
    // One trusted hop: the client address is the last X-Forwarded-For entry, the one our proxy
    // wrote. Trusting every hop would take the first entry, which any client can forge.
    trustProxy: config.trustProxy ? 1 : false,
    // Fastify's own 503 while closing is not in the envelope; the onRequest hook answers it.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // A tRPC batch names every call in one path segment (`/trpc/a.b,c.d`); Fastify's default
    // of 100 characters would turn a batch of a few calls into a 404.
    routerOptions: { maxParamLength: 4096 },
    // The whole request must arrive within a minute: a client that trickles its body
    // cannot hold a connection forever. Answers, streams included, are not bounded by this.
    requestTimeout: 60_000,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });

  // Fastify skips the body of a GET; Moji reads it, so that a GET with a body that is not a
  // JSON object is refused like any other (HEAD, answered as GET, has none).
  app.addHttpMethod('GET', { hasBody: true });
  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  // JSON in any letter case and with any charset; an empty body is no body.
  app.addContentTypeParser(
    /^application\/json(\s*;.*)?$/i,
    { parseAs: 'string' },
    (request, body, done) => {
      if (body === '') return done(null, undefined);
      void defaultJsonParser(request, body as string, done);
    },
  );

  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-ID', request.id);
    // A request on a connection still open at a stop: refused, and the connection ends.
    if (closing) {
      void reply.header('Connection', 'close');
      const stopping = new MojiError('SERVICE_UNAVAILABLE', 'The server is shutting down', {
        headers: { 'Retry-After': '5' },
      });

      return sendError(reply, stopping);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        route: request.restRoute?.procedure.path ?? request.routeOptions.url,
        userId: request.mojiContext?.auth.caller?.id,
      },
      'request completed',
    );
  });
  app.addHook('onClose', async () => {
    stopping.abort();
    await usage
      .flush()
      .catch((error: unknown) => log.error({ err: error }, 'usage not written at stop'));
    await models.close();
    await database.close();
    redis?.disconnect();
  });

  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      exposedHeaders: [
        'X-Request-ID',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'Retry-After',
        'x-should-retry',
      ],
    });
  }

  registerErrorHandlers(app);
  const contextDeps = {
    services,
    database,
    tokens,
    users,
    limits,
    rateLimitPerHour: config.rateLimitPerHour,
    streamKeepAliveMs: config.streamKeepAliveMs,
  };
  await registerRestApi(app, contextDeps);
  await registerTrpcApi(app, contextDeps);
  await registerDocsRoutes(app, version);

  return { app, database, redis, log, users, ready };
}
