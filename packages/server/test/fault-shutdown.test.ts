import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { faultSkipReason, titled } from './support/fault-plan.js';
import { findFreePort } from './support/free-port.js';
import { TEST_JWT_SECRET } from './support/moji.js';
import { startPostgres, type PostgresInstance } from './support/postgres-instance.js';
import { startSlowUpstream, type SlowUpstream } from './support/slow-upstream.js';
import { createUser, postJson, type TestUser } from './support/users.js';

const mainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const skipReason = faultSkipReason() ?? (existsSync(mainJs) ? undefined : `${mainJs} is not built`);

/** Moji as its own process, started the way operators start it. */
interface MojiProcess {
  api: string;
  child: ChildProcess;
  logs: { msg?: string; level?: number }[];
  exited: Promise<{ code: number | null; at: number }>;
}

let postgres: PostgresInstance | undefined;
let upstream: SlowUpstream | undefined;
const dataDirs: string[] = [];

async function spawnMoji(env: Record<string, string>): Promise<MojiProcess> {
  const port = await findFreePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'moji-stop-'));
  dataDirs.push(dataDir);
  const child = spawn(process.execPath, [mainJs], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      MOJI_DATA_DIR: dataDir,
      DATABASE_URL: postgres?.url ?? '',
      JWT_SECRET: TEST_JWT_SECRET,
      LLM_BASE_URL: upstream?.baseUrl ?? '',
      RATE_LIMIT_PER_HOUR: '0',
      AUTH_LIMIT_PER_MINUTE: '0',
      LOGIN_FAILURES_PER_HOUR: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: MojiProcess['logs'] = [];
  let buffered = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (data: Buffer) => {
      buffered += data.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const entry = JSON.parse(line) as { msg?: string };
        logs.push(entry);
        if (entry.msg === 'moji ready') resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`moji exited with ${code} before it was ready`)));
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => {
    child.once('exit', (code) => resolve({ code, at: Date.now() }));
  });
  await ready;

  return { api: `http://127.0.0.1:${port}/api/v1`, child, logs, exited };
}

/** Starts a POST whose body arrives in two parts; `finish` sends the rest. */
function slowUpload(url: string, headers: Record<string, string>, body: string) {
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    },
  });
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));

  return { answer, finish: () => req.end(body.slice(half)) };
}

function connectionRefused(api: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${api}/health`, { agent: false }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skipReason !== undefined)(titled('a stop signal', skipReason), () => {
  beforeAll(async () => {
    [postgres, upstream] = await Promise.all([startPostgres(), startSlowUpstream()]);
  });

  afterAll(async () => {
    await upstream?.close();
    await postgres?.destroy();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('lets in-flight requests and streams finish, writes their turns and usage, then exits 0', async () => {
    const moji = await spawnMoji({ SHUTDOWN_GRACE_MS: '15000' });
    const user: TestUser = await createUser(moji.api);
    const session = (await (
      await postJson(`${moji.api}/chat/sessions`, {}, user.headers)
    ).json()) as { id: string };

    const stream = await postJson(
      `${moji.api}/chat/completions`,
      {
        stream: true,
        session_id: session.id,
        messages: [{ role: 'user', content: 'slow:12:150' }],
      },
      user.headers,
    );
    expect(stream.status).toBe(200);
    const streamed = stream.text().then((text) => ({ text, at: Date.now() }));
    const plain = postJson(
      `${moji.api}/chat/completions`,
      { messages: [{ role: 'user', content: 'slow:8:150' }] },
      user.headers,
    );
    const upload = slowUpload(
      `${moji.api}/chat/sessions`,
      user.headers,
      JSON.stringify({ initial_message: 'late' }),
    );
    await sleep(200);

    const stoppedAt = Date.now();
    moji.child.kill('SIGTERM');
    await sleep(300);
    expect(await connectionRefused(moji.api)).toBe(true);
    upload.finish();

    const uploaded = await upload.answer;
    expect(uploaded.status, uploaded.text).toBe(201);
    const answered = await plain;
    expect(answered.status, await answered.clone().text()).toBe(200);
    expect(
      ((await answered.json()) as { choices: { message: { content: string } }[] }).choices[0]
        ?.message.content,
    ).toBe(Array.from({ length: 8 }, (_, index) => `w${index} `).join(''));
    const { text, at: streamEnd } = await streamed;
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(streamEnd - stoppedAt).toBeGreaterThan(1000);

    const { code, at } = await moji.exited;
    expect(code).toBe(0);
    expect(at).toBeGreaterThanOrEqual(streamEnd);
    expect(at - stoppedAt).toBeLessThan(10_000);
    expect(moji.logs.map((entry) => entry.msg)).toContain('stopped');
    expect(moji.logs.filter((entry) => (entry.level ?? 0) >= 50)).toEqual([]);

    const client = new pg.Client({ connectionString: postgres?.url });
    await client.connect();
    try {
      const turn = await client.query<{ role: string; content: unknown; incomplete: boolean }>(
        'select role, content, incomplete from chat_messages where session_id = $1 order by position',
        [session.id],
      );
      expect(turn.rows.map((row) => [row.role, row.incomplete])).toEqual([
        ['user', false],
        ['assistant', false],
      ]);
      expect(turn.rows[1]?.content).toBe(
        Array.from({ length: 12 }, (_, index) => `w${index} `).join(''),
      );
      const usage = await client.query('select 1 from usage_records where user_id = $1', [user.id]);
      expect(usage.rowCount).toBe(2);
    } finally {
      await client.end();
    }
  });

  it('cuts what outlasts SHUTDOWN_GRACE_MS and exits', async () => {
    const moji = await spawnMoji({ SHUTDOWN_GRACE_MS: '1000' });
    const user = await createUser(moji.api);
    const stream = await postJson(
      `${moji.api}/chat/completions`,
      { stream: true, messages: [{ role: 'user', content: 'slow:100:200' }] },
      user.headers,
    );
    expect(stream.status).toBe(200);
    const streamed = stream.text().then(
      (text) => text,
      () => 'cut',
    );
    await sleep(300);

    const stoppedAt = Date.now();
    moji.child.kill('SIGTERM');
    const { code, at } = await moji.exited;

    expect(code).toBe(0);
    expect(at - stoppedAt).toBeGreaterThanOrEqual(900);
    expect(at - stoppedAt).toBeLessThan(4000);
    expect(await streamed).not.toContain('data: [DONE]');
  });
});
