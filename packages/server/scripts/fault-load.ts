/**
 * Fault-and-load run: starts a private PostgreSQL and Redis on free ports, runs the built
 * server against them, sends traffic from several users for a bounded time while Redis and
 * then PostgreSQL are stopped and started again, and reports what the clients saw and
 * whether every acknowledged session turn was stored. Only loopback traffic.
 *
 * Usage: `pnpm fault-load` (FAULT_LOAD_SECONDS, FAULT_LOAD_USERS to change the run).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { findFreePort } from '../test/support/free-port.js';
import { startPostgres } from '../test/support/postgres-instance.js';
import { startRedis } from '../test/support/redis-instance.js';
import { countMissingTurns, createLedger, runUser, send, type LoadUser } from './load-traffic.js';

const seconds = Number(process.env['FAULT_LOAD_SECONDS'] ?? 60);
const userCount = Number(process.env['FAULT_LOAD_USERS'] ?? 6);
const workersPerUser = 2;
const mainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (text: string) => process.stdout.write(`[fault-load] ${text}\n`);

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`gave up waiting: ${what}`);
}

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'moji-fault-load-'));
  // The server's log is kept when the run fails, or when FAULT_LOAD_KEEP_LOG is set.
  let keepLog = process.env['FAULT_LOAD_KEEP_LOG'] !== undefined;
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const port = await findFreePort();
  const api = `http://127.0.0.1:${port}/api/v1`;
  const logFile = join(work, 'server.log');
  const server = spawn(process.execPath, [mainJs], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      MOJI_DATA_DIR: join(work, 'data'),
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      JWT_SECRET: 'fault-load-secret-that-is-long-enough-0123456789',
      RATE_LIMIT_PER_HOUR: '1000000',
      AUTH_LIMIT_PER_MINUTE: '0',
      LOGIN_FAILURES_PER_HOUR: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
  });
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));

  try {
    await waitUntil(async () => (await fetch(`${api}/health`)).status === 200, 'server ready');
    const ledger = createLedger();
    const users: LoadUser[] = [];
    for (let index = 0; index < userCount; index += 1) {
      const name = `load_${index}_${Date.now().toString(36)}`;
      const password = 'load password 123';
      await send(ledger, `${api}/auth/register`, {
        body: { username: name, password, email: `${name}@example.com` },
      });
      const login = await send(ledger, `${api}/auth/token`, { body: { username: name, password } });
      if (login?.status !== 200) throw new Error(`login failed for ${name}: ${login?.text}`);
      users.push({
        name,
        token: (JSON.parse(login.text) as { access_token: string }).access_token,
        sessions: [],
      });
    }

    const started = Date.now();
    const deadline = started + seconds * 1000;
    const at = (fraction: number) =>
      sleep(Math.max(0, started + seconds * 1000 * fraction - Date.now()));
    const faults = (async () => {
      await at(0.15);
      say('stopping Redis');
      await redis.stop();
      await at(0.3);
      say('starting Redis');
      await redis.start();
      await at(0.45);
      say('stopping PostgreSQL (immediate: as if it crashed)');
      await postgres.stop('immediate');
      await at(0.6);
      say('starting PostgreSQL');
      await postgres.start();
    })();
    say(`traffic from ${userCount} users x ${workersPerUser} workers for ${seconds} s`);
    await Promise.all([
      faults,
      ...users.flatMap((user, index) =>
        Array.from({ length: workersPerUser }, (_, worker) =>
          runUser(ledger, api, user, deadline, index * 31 + worker),
        ),
      ),
    ]);

    await waitUntil(
      async () => (await fetch(`${api}/health`)).status === 200,
      'healthy after the run',
    );
    const { missing, checked } = await countMissingTurns(api, ledger);
    const statuses = [...ledger.byStatus.entries()].sort(([a], [b]) => a.localeCompare(b));
    const fiveHundreds = statuses
      .filter(([status]) => /^5\d\d$/.test(status))
      .reduce((sum, [, n]) => sum + n, 0);
    const other5xx = statuses.filter(([status]) => /^5\d\d$/.test(status) && status !== '503');

    const passed = missing === 0 && other5xx.length === 0;
    keepLog = keepLog || !passed;
    const otherText = other5xx.map(([status, n]) => `${status}: ${n}`).join(', ') || 'none';

    say('report');
    const lines = [
      `requests sent: ${ledger.sent}`,
      `answers by status: ${statuses.map(([status, n]) => `${status}: ${n}`).join(', ')}`,
      `5xx answers: ${fiveHundreds} (503 is expected while PostgreSQL is down; other 5xx: ${otherText})`,
      `acknowledged session turns: ${checked}`,
      `acknowledged session turns missing afterwards: ${missing}`,
      ...(keepLog ? [`server log: ${logFile}`] : []),
    ];
    process.stdout.write(lines.map((line) => `  ${line}\n`).join(''));

    return passed ? 0 : 1;
  } finally {
    server.kill('SIGTERM');
    await exited;
    await Promise.all([redis.destroy(), postgres.destroy()]);
    if (!keepLog) rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `[fault-load] failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(2);
  },
);
