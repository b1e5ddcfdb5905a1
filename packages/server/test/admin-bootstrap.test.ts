import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { buildServer } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { backend, startMoji } from './support/moji.js';
import { createScratchDatabase } from './support/postgres-instance.js';
import { createUser, postJson, uniqueName } from './support/users.js';

const SECRET = 'a-production-secret-of-more-than-32-bytes';
const dataDir = mkdtempSync(join(tmpdir(), 'moji-config-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

function configFrom(env: Record<string, string>) {
  return () => loadConfig({ MOJI_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
}

describe('start-up refuses unsafe or incomplete settings', () => {
  const refused: [string, Record<string, string>, RegExp][] = [
    [
      'a JWT secret under 32 bytes',
      { JWT_SECRET: 'x'.repeat(31) },
      /JWT_SECRET must be at least 32 bytes/,
    ],
    ['only ADMIN_USERNAME', { ADMIN_USERNAME: 'root' }, /must be set together/],
    [
      'ADMIN_USERNAME and ADMIN_PASSWORD without ADMIN_EMAIL',
      { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'a long password' },
      /must be set together/,
    ],
    ['production without JWT_SECRET', { NODE_ENV: 'production' }, /JWT_SECRET must be set/],
    [
      'production with an 11-character admin password',
      {
        NODE_ENV: 'production',
        JWT_SECRET: SECRET,
        ADMIN_USERNAME: 'root',
        ADMIN_PASSWORD: 'elevenchars',
        ADMIN_EMAIL: 'root@example.com',
      },
      /ADMIN_PASSWORD must be at least 12 characters/,
    ],
    ['a negative hourly limit', { RATE_LIMIT_PER_HOUR: '-1' }, /RATE_LIMIT_PER_HOUR/],
    ['a shutdown grace of 0', { SHUTDOWN_GRACE_MS: '0' }, /SHUTDOWN_GRACE_MS/],
  ];
  for (const [name, env, message] of refused) {
    it(`for ${name}`, () => {
      expect(configFrom(env)).toThrow(ConfigError);
      expect(configFrom(env)).toThrow(message);
    });
  }

  it('accepts a 32-byte secret (counted in bytes) and a 12-character admin password', () => {
    const config = configFrom({
      NODE_ENV: 'production',
      JWT_SECRET: 'é'.repeat(16),
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'twelve chars',
      ADMIN_EMAIL: 'root@example.com',
    })();

    expect(config.isProduction).toBe(true);
    expect(config.admin).toEqual({
      username: 'root',
      password: 'twelve chars',
      email: 'root@example.com',
    });
  });

  it('refuses to build a server whose DEFAULT_MODEL is not served', async () => {
    const config = configFrom({
      JWT_SECRET: SECRET,
      DEFAULT_MODEL: 'missing',
      MOJI_MODELS: JSON.stringify({
        providers: { local: { base_url: 'http://127.0.0.1:9/v1' } },
        models: { present: { provider: 'local', id: 'present' } },
      }),
    })();

    await expect(buildServer(config)).rejects.toThrow(/DEFAULT_MODEL "missing" is not served/);
  });

  const mainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  it.runIf(existsSync(mainJs))(
    'stops the real entry point with a clear message and exit code 1',
    () => {
      const run = spawnSync(process.execPath, [mainJs], {
        env: {
          PATH: process.env['PATH'] ?? '',
          NODE_ENV: 'production',
          MOJI_DATA_DIR: dataDir,
          PORT: '0',
        },
        encoding: 'utf8',
        timeout: 20_000,
      });

      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe('moji: JWT_SECRET must be set when NODE_ENV=production');
    },
  );
});

describe('the admin account from ADMIN_USERNAME, ADMIN_PASSWORD and ADMIN_EMAIL', () => {
  it('takes back an account squatted under that name, and stays one account across restarts', async () => {
    const scratch =
      backend === 'real'
        ? await createScratchDatabase(process.env['DATABASE_URL'] ?? '')
        : undefined;
    const shared = mkdtempSync(join(tmpdir(), 'moji-bootstrap-'));
    const database: Record<string, string> = scratch ? { DATABASE_URL: scratch.url } : {};
    try {
      const first = await startMoji(database, { dataDir: shared });
      const squatter = await createUser(first.api, 'squat');
      await first.server.database.db
        .updateTable('users')
        .set({ disabled: true })
        .where('id', '=', squatter.id)
        .execute();
      await first.close();

      const admin = {
        ADMIN_USERNAME: squatter.username.toUpperCase(),
        ADMIN_PASSWORD: 'the configured admin password',
        ADMIN_EMAIL: `${uniqueName('owner')}@example.com`,
      };
      for (let restart = 0; restart < 2; restart += 1) {
        const moji = await startMoji({ ...database, ...admin }, { dataDir: shared });
        try {
          const login = await postJson(`${moji.api}/auth/token`, {
            username: squatter.username,
            password: admin.ADMIN_PASSWORD,
          });
          expect(login.status, await login.clone().text()).toBe(200);
          const token = ((await login.json()) as { access_token: string }).access_token;
          const me = await (
            await fetch(`${moji.api}/auth/me`, { headers: { authorization: `Bearer ${token}` } })
          ).json();
          expect(me).toMatchObject({
            id: squatter.id,
            username: squatter.username,
            role: 'admin',
            email: admin.ADMIN_EMAIL,
          });
          const old = await postJson(`${moji.api}/auth/token`, {
            username: squatter.username,
            password: squatter.password,
          });
          expect(old.status).toBe(401);
          const admins = await moji.server.database.db
            .selectFrom('users')
            .select('id')
            .where('role', '=', 'admin')
            .execute();
          expect(admins.map((row) => row.id)).toEqual([squatter.id]);
        } finally {
          await moji.close();
        }
      }
    } finally {
      rmSync(shared, { recursive: true, force: true });
      await scratch?.drop();
    }
  }, 120_000);

  it('refuses to start with an ADMIN_EMAIL that another account holds', async () => {
    const scratch =
      backend === 'real'
        ? await createScratchDatabase(process.env['DATABASE_URL'] ?? '')
        : undefined;
    const shared = mkdtempSync(join(tmpdir(), 'moji-bootstrap-'));
    const database: Record<string, string> = scratch ? { DATABASE_URL: scratch.url } : {};
    try {
      const first = await startMoji(database, { dataDir: shared });
      const holder = await createUser(first.api, 'holder');
      await first.close();

      const config = loadConfig({
        MOJI_DATA_DIR: shared,
        JWT_SECRET: SECRET,
        LOG_LEVEL: 'silent',
        ADMIN_USERNAME: uniqueName('newadmin'),
        ADMIN_PASSWORD: 'the configured admin password',
        ADMIN_EMAIL: holder.email.toUpperCase(),
        ...database,
      });
      const refusal = /ADMIN_EMAIL .+ belongs to another account/;
      if (backend === 'real') {
        const server = await buildServer(config);
        try {
          await expect(server.ready).rejects.toThrow(ConfigError);
          await expect(server.ready).rejects.toThrow(refusal);
        } finally {
          await server.app.close();
        }
      } else {
        await expect(buildServer(config)).rejects.toThrow(refusal);
      }
    } finally {
      rmSync(shared, { recursive: true, force: true });
      await scratch?.drop();
    }
  }, 120_000);
});
