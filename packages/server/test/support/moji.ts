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
  close(): Promise<void>;
}

/** The backend this test run exercises: PGlite + memory, or PostgreSQL + Redis. */
export const backend = process.env['MOJI_TEST_BACKEND'] === 'real' ? 'real' : 'embedded';

/**
 * Starts Moji on a free port with test settings: limits off unless a test turns them on,
 * a fixed JWT secret, logs silent, and the backend this project runs against.
 */
export async function startMoji(env: Record<string, string> = {}): Promise<RunningMoji> {
  const dataDir = mkdtempSync(join(tmpdir(), 'moji-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MOJI_DATA_DIR: dataDir,
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    RATE_LIMIT_PER_HOUR: '0',
    AUTH_LIMIT_PER_MINUTE: '0',
    LOGIN_FAILURES_PER_HOUR: '0',
    LOG_LEVEL: process.env['MOJI_TEST_LOG_LEVEL'] ?? 'silent',
    ...(backend === 'real'
      ? { DATABASE_URL: process.env['DATABASE_URL'] ?? '', REDIS_URL: process.env['REDIS_URL'] ?? '' }
      : {}),
    ...env,
  });
  const server = await buildServer(config);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  if (backend === 'real') await server.database.ensureReady();
  const { port } = server.app.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    api: `${origin}/api/v1`,
    server,
    backend,
    async close() {
      await server.app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
