import { buildServer } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './observability/logger.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`moji: ${error.message}\n`);
    process.exit(1);
  }

  const log = createLogger(config.logLevel);
  log.info(
    { database: config.databaseUrl ? 'postgres' : 'pglite', dataDir: config.dataDir },
    'starting',
  );
  const server = await buildServer(config, log);
  const { app } = server;
  server.ready.catch((error: unknown) => {
    if (!(error instanceof ConfigError)) return;
    process.stderr.write(`moji: ${error.message}\n`);
    process.exit(1);
  });
  await app.listen({ port: config.port, host: config.host });
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const origin = `http://${host}:${config.port}`;
  log.info(
    {
      api: `${origin}/api/v1`,
      docs: `${origin}/docs`,
      database: server.database.kind,
      redis: server.redis ? 'redis' : 'in-process',
    },
    'moji ready',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceMs: config.shutdownGraceMs }, 'stopping');
    const force = setTimeout(() => {
      log.warn('grace period over; closing remaining connections');
      app.server.closeAllConnections();
    }, config.shutdownGraceMs);
    force.unref();
    // Fastify closes the connections that are idle when it starts closing; a keep-alive
    // connection whose request ends later would hold the stop until the grace is over.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    sweep.unref();
    // app.close() waits for in-flight requests and streams, then its onClose hooks write the
    // queued usage and close the database and Redis pools.
    app.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `moji: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
