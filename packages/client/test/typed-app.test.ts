import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { spawnServer, type SpawnedServer } from './support/spawn-server.js';

const run = promisify(execFile);
const clientDir = resolve(import.meta.dirname, '..');
const rootDir = resolve(clientDir, '../..');
const tsc = join(rootDir, 'node_modules/typescript/bin/tsc');

let server: SpawnedServer;
let appDir: string;
let compilerOutput: string;

// The app lives outside the repository and sees @moji/client only through node_modules, so
// tsc resolves it by the package's exports map to its emitted declarations.
function layOutApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'moji-typed-app-'));
  cpSync(join(clientDir, 'test/typed-app'), dir, { recursive: true });
  mkdirSync(join(dir, 'node_modules/@moji'), { recursive: true });
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(clientDir, join(dir, 'node_modules/@moji/client'), 'dir');
  symlinkSync(join(rootDir, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));

  return dir;
}

beforeAll(async () => {
  // Test the package as built from the current source.
  await run(process.execPath, [tsc, '-p', join(clientDir, 'tsconfig.build.json')]);
  appDir = layOutApp();
  const compiled = await run(process.execPath, [tsc, '-p', appDir]).catch(
    (error: { stdout: string; stderr: string }) => error,
  );
  compilerOutput = `${compiled.stdout}${compiled.stderr}`;
  server = await spawnServer();
}, 150_000);

afterAll(async () => {
  await server?.stop();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

describe('a TypeScript app using the built @moji/client', () => {
  it('type-checks against the emitted declarations, misuses included as errors', () => {
    expect(compilerOutput).toBe('');
  });

  it('logs in, completes, streams, lists sessions and catches a 404 by its code', async () => {
    const { stdout, stderr } = await run(process.execPath, [join(appDir, 'out/main.js')], {
      env: { ...process.env, MOJI_URL: server.origin },
      timeout: 60_000,
    });
    expect(stderr).toBe('');
    const report = JSON.parse(stdout);

    expect(report.user).toMatchObject({ role: 'user' });
    expect(report.me.id).toBe(report.user.id);
    expect(report.tokenType).toBe('bearer');
    expect(report.keptToken).toBe(true);
    expect(report.modelIds).toContain('echo');
    expect(report.reply).toBe('hello typed world');
    expect(report.chunkCount).toBeGreaterThan(1);
    expect(report.streamed).toBe('stream me please');
    expect(report.session.title).toBe('first words');
    expect(report.sessionIds).toContain(report.session.id);
    expect(report.missingSession).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(report.missingSession.requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(report.missingModel).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(report.signedOut).toMatchObject({ code: 'AUTH_FAILED', status: 401 });
  });
});
