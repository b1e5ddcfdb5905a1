import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';

import { findFreePort } from './free-port.js';

const run = promisify(execFile);
const POSTGRES_ROOT = '/usr/lib/postgresql';
const isRoot = process.getuid?.() === 0;

/** Debian's folder of PostgreSQL programs (`initdb`, `pg_ctl`), newest version first. */
export function findPostgresBin(): string | undefined {
  if (!existsSync(POSTGRES_ROOT)) return undefined;
  const versions = readdirSync(POSTGRES_ROOT)
    .filter((version) => existsSync(join(POSTGRES_ROOT, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));

  return versions[0] === undefined ? undefined : join(POSTGRES_ROOT, versions[0], 'bin');
}

/** Why a private PostgreSQL cannot be started here, or undefined when it can. */
export function postgresMissing(): string | undefined {
  if (!findPostgresBin())
    return `PostgreSQL's programs are not under ${POSTGRES_ROOT}/<version>/bin`;
  if (isRoot && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) {
    return 'runuser is missing: PostgreSQL refuses to run as root';
  }

  return undefined;
}

/** A PostgreSQL server of a test's own, on a free port, which the test may stop and start. */
export interface PostgresInstance {
  url: string;
  port: number;
  isRunning(): boolean;
  start(): Promise<void>;
  /** `fast` ends sessions and shuts down cleanly; `immediate` is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Freezes the server and its sessions (SIGSTOP), as a network partition would look. */
  pause(): void;
  resume(): void;
  /** Ends every client connection, as `pg_terminate_backend` would; returns how many. */
  terminateConnections(): Promise<number>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

const live = new Set<() => void>();
process.once('exit', () => {
  for (const kill of live) kill();
});

// initdb and postgres refuse to run as root: run them as the `postgres` user then.
function asPostgres(program: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

// The postmaster's pid is the first line of postmaster.pid; its sessions are its children.
function signalServer(data: string, signal: NodeJS.Signals): void {
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], {
    encoding: 'utf8',
  })
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => pid > 0);
  for (const pid of [postmaster, ...children]) process.kill(pid, signal);
}

/** Makes a new cluster in a temporary folder and starts it on a free port. */
export async function startPostgres(): Promise<PostgresInstance> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(postgresMissing());
  const base = mkdtempSync(join(tmpdir(), 'moji-pg-'));
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(base, uid, gid);
  }
  const data = join(base, 'data');
  const port = await findFreePort();
  const pgCtl = join(bin, 'pg_ctl');
  const ctl = (args: string[]) => run(...asPostgres(pgCtl, ['-D', data, ...args]));
  let running = false;

  await run(
    ...asPostgres(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]),
  );
  const serverOptions = [
    `-p ${port} -k ${base} -c listen_addresses=127.0.0.1`,
    '-c fsync=off -c full_page_writes=off -c max_connections=200',
  ].join(' ');
  const kill = () => {
    try {
      execFileSync(...asPostgres(pgCtl, ['-D', data, '-m', 'immediate', 'stop']), {
        stdio: 'ignore',
      });
    } catch {
      // already stopped
    }
  };

  const instance: PostgresInstance = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    isRunning: () => running,
    async start() {
      await ctl(['-l', join(base, 'log'), '-w', '-t', '60', '-o', serverOptions, 'start']);
      running = true;
      live.add(kill);
    },
    async stop(mode = 'fast') {
      await ctl(['-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
      live.delete(kill);
    },
    pause: () => signalServer(data, 'SIGSTOP'),
    resume: () => signalServer(data, 'SIGCONT'),
    async terminateConnections() {
      const client = new pg.Client({ connectionString: instance.url });
      await client.connect();
      try {
        const result = await client.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where pid <> pg_backend_pid() and backend_type = 'client backend'`,
        );

        return result.rowCount ?? 0;
      } finally {
        await client.end();
      }
    },
    async destroy() {
      if (running) {
        try {
          signalServer(data, 'SIGCONT');
        } catch {
          // not running after all
        }
        await instance.stop('immediate').catch(() => {});
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
  await instance.start();

  return instance;
}

/**
 * Makes an empty database on a PostgreSQL server that others share, for a test that needs
 * to know every row (which admins exist, say); `drop` removes it.
 */
export async function createScratchDatabase(
  serverUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `moji_scratch_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;

  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
