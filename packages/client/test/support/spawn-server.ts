import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A built Moji server running in a child process for one test file. */
export interface SpawnedServer {
  origin: string;
  output(): string;
  stop(): Promise<void>;
}

const serverMain = resolve(import.meta.dirname, '../../../server/dist/main.js');

function findFreePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

async function waitUntilHealthy(origin: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    const healthy = await fetch(`${origin}/api/v1/health`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (healthy) return;
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`the server did not answer /health within ${timeoutMs} ms`);
}

/**
 * Starts `packages/server/dist/main.js` on a free port with its embedded defaults (PGlite in
 * a fresh data directory, the in-process limiter, the echo model), as a user would run it.
 */
export async function spawnServer(timeoutMs = 90_000): Promise<SpawnedServer> {
  if (!existsSync(serverMain)) {
    throw new Error(`${serverMain} is missing: build first (npx -y pnpm@10.34.9 run build)`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'moji-client-test-'));
  const port = await findFreePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1' };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'LLM_BASE_URL', 'MOJI_MODELS', 'NODE_ENV']) {
    delete env[name];
  }
  Object.assign(env, { MOJI_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });

  let output = '';
  const child = spawn(process.execPath, [serverMain], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitUntilHealthy(origin, child, timeoutMs);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }

  return { origin, output: () => output, stop };
}
