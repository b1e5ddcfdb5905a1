import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import autocannon from 'autocannon';

import { measureTtfb } from './measure-ttfb.js';
import { prepareBenchUser } from './prepare-bench-user.js';
import { printReport } from './print-report.js';
import { cpuMicros, startChild } from './start-child.js';

// Moji's hop against an upstream that answers at once: direct and through Moji's whole path
// (token check, rate limit in Redis, usage written to PostgreSQL), one after the other.
const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const ttfbRounds = Number(process.env['BENCH_TTFB_ROUNDS'] ?? 300);
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const messages = [{ role: 'user', content: 'Say hello.' }];
const plainBody = JSON.stringify({ model: 'bench', messages, max_tokens: 16 });
const streamBody = JSON.stringify({ model: 'bench', messages, stream: true });

async function load(url: string, headers: Record<string, string>, body: string, duration: number) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections,
    duration,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  }

  return result;
}

const upstream = await startChild(new URL('./fast-upstream.ts', import.meta.url), {});
const dataDir = mkdtempSync(join(tmpdir(), 'moji-bench-'));
const admin = { username: 'bench_admin', password: randomBytes(12).toString('hex') };
const moji = await startChild(
  new URL('./serve-moji.ts', import.meta.url),
  {
    NODE_ENV: 'production',
    LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'info',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    MOJI_DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    LLM_BASE_URL: `http://127.0.0.1:${upstream.port}/v1`,
    LLM_API_KEY: 'bench-key',
    DEFAULT_MODEL: 'bench',
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
    ADMIN_EMAIL: 'bench-admin@example.com',
    // BENCH_MOJI_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles Moji's process.
  },
  (process.env['BENCH_MOJI_NODE_OPTIONS'] ?? '').split(' ').filter(Boolean),
);

try {
  const api = `http://127.0.0.1:${moji.port}/api/v1`;
  const direct = `http://127.0.0.1:${upstream.port}/v1/chat/completions`;
  const headers = await prepareBenchUser(api, admin);
  const via = `${api}/chat/completions`;

  await load(direct, {}, plainBody, 2);
  await load(via, headers, plainBody, 3);

  const plainDirect = await load(direct, {}, plainBody, seconds);
  const cpuBefore = await cpuMicros(moji.process);
  const plainVia = await load(via, headers, plainBody, seconds);
  const cpuPlain = (await cpuMicros(moji.process)) - cpuBefore;

  const streamDirect = await load(direct, {}, streamBody, seconds);
  const streamCpuBefore = await cpuMicros(moji.process);
  const streamVia = await load(via, headers, streamBody, seconds);
  const cpuStream = (await cpuMicros(moji.process)) - streamCpuBefore;

  const targets = [
    { url: direct, headers: {} },
    { url: via, headers },
  ];
  await measureTtfb(targets, streamBody, 50);
  const [ttfbDirect, ttfbVia] = await measureTtfb(targets, streamBody, ttfbRounds);

  const logLevel = process.env['BENCH_LOG_LEVEL'] ?? 'info';
  printReport(
    `${connections} connections, ${seconds} s a run, PostgreSQL + Redis, LOG_LEVEL=${logLevel}`,
    [
      { name: 'plain', direct: plainDirect, viaMoji: plainVia, mojiCpuMicros: cpuPlain },
      { name: 'stream', direct: streamDirect, viaMoji: streamVia, mojiCpuMicros: cpuStream },
    ],
    { rounds: ttfbRounds, direct: ttfbDirect!, viaMoji: ttfbVia! },
  );
} finally {
  await moji.stop();
  await upstream.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
