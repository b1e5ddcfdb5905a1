import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';

import { findFreePort } from './free-port.js';

/** Where `redis-server` is, from PATH and Debian's usual places. */
export function findRedisServer(): string | undefined {
  const folders = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/sbin'];

  return folders.map((folder) => join(folder, 'redis-server')).find((path) => existsSync(path));
}

/** Why a private Redis cannot be started here, or undefined when it can. */
export function redisMissing(): string | undefined {
  return findRedisServer() ? undefined : 'redis-server is not installed';
}

/** A Redis server of a test's own, on a free port, which the test may stop, start and freeze. */
export interface RedisInstance {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and nothing answers. */
  pause(): void;
  resume(): void;
  destroy(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** Starts `redis-server` without persistence on a free port. */
export async function startRedis(): Promise<RedisInstance> {
  const program = findRedisServer();
  if (!program) throw new Error(redisMissing());
  const port = await findFreePort();
  let child: ChildProcess | undefined;

  const instance: RedisInstance = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
      ];
      const started = spawn(program, args, { stdio: 'ignore' });
      child = started;
      live.add(started);
      started.once('exit', () => live.delete(started));
      for (let attempt = 0; attempt < 100; attempt += 1) {
        if (started.exitCode !== null)
          throw new Error(`redis-server exited with ${started.exitCode}`);
        if (await answersPing(port)) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`redis-server did not answer on port ${port}`);
    },
    async stop() {
      const stopping = child;
      child = undefined;
      if (!stopping || stopping.exitCode !== null || stopping.signalCode !== null) return;
      stopping.kill('SIGCONT');
      const exited = new Promise((resolve) => stopping.once('exit', resolve));
      stopping.kill('SIGTERM');
      await exited;
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    destroy: () => instance.stop(),
  };
  await instance.start();

  return instance;
}
