import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

import { buildServer, type MojiServer } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

/** A server running on a free port for one test file. */
export interface RunningMoji {
  /** The origin, such as `http://127.0.0.1:40123`. */
  origin: string;
  /** The REST base URL, `${origin}/api/v1`. */
  api: string;
  server: MojiServer;
  backend: 'embedded' | 'real';
  /** The folder PGlite and the development JWT secret live in. */
  dataDir: string;
  close(): Promise<void>;
}

/** How to start a test server, beyond its environment. */
export interface StartOptions {
  /**
   * Serve from this data folder (to restart on the same PGlite data); the caller owns it and
   * removes it. Without it, a fresh folder is made and removed on close.
   */
  dataDir?: string;
  /** Wait for PostgreSQL's migrations before returning (default true; false for a dead URL). */
  waitForDatabase?: boolean;
}

/** The backend this test run exercises: PGlite + memory, or PostgreSQL + Redis. */
export const backend = process.env['MOJI_TEST_BACKEND'] === 'real' ? 'real' : 'embedded';

/** The JWT secret every test server signs with, for tests that forge tokens. */
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/**
 * Starts Moji on a free port with test settings: limits off unless a test turns them on,
 * a fixed JWT secret, logs silent, and the backend this project runs against.
 */
export async function startMoji(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<RunningMoji> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'moji-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MOJI_DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_PER_HOUR: '0',
    AUTH_LIMIT_PER_MINUTE: '0',
    LOGIN_FAILURES_PER_HOUR: '0',
    LOG_LEVEL: process.env['MOJI_TEST_LOG_LEVEL'] ?? 'silent',
    ...(backend === 'real'
      ? {
          DATABASE_URL: process.env['DATABASE_URL'] ?? '',
          REDIS_URL: process.env['REDIS_URL'] ?? '',
        }
      : {}),
    ...env,
  });
  const server = await buildServer(config);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  if (server.database.kind === 'postgres' && options.waitForDatabase !== false) {
    await server.database.ensureReady();
  }
  const { port } = server.app.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    api: `${origin}/api/v1`,
    server,
    backend,
    dataDir,
    async close() {
      await server.app.close();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
