import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, sql, type Dialect } from 'kysely';
import { KyselyPGlite } from 'kysely-pglite';
import pg from 'pg';
import type { Logger } from 'pino';

import { MojiError } from '@moji/contracts';

import { discardingPool } from './discarding-pool.js';
import { migrationProvider } from './migrations.js';
import type { DB } from './schema.js';
import { isUnavailableError, UnavailableMappingDriver } from './unavailable-driver.js';

/** The database and what the server needs to know about it. */
export interface Database {
  db: Kysely<DB>;
  kind: 'postgres' | 'pglite';
  /** Resolves once migrations have run; throws SERVICE_UNAVAILABLE while the database is down. */
  ensureReady(): Promise<void>;
  /** Tells whether the database answers, within 1.5 s (so that `/health` answers within 2 s). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const PING_TIMEOUT_MS = 1500;
const QUERY_TIMEOUT_MS = 5000;

function wrapDialect(inner: Dialect, serialize: boolean): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver: () => new UnavailableMappingDriver(inner.createDriver(), serialize),
  };
}

/** Opens PostgreSQL when a URL is given, otherwise PGlite on disk under `dataDir`. */
export function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  log: Logger;
  /** Work that must be done before the first request is served, after the migrations. */
  prepare?: (db: Kysely<DB>) => Promise<void>;
}): Database {
  const { databaseUrl, dataDir, log } = options;
  let dialect: Dialect;
  let kind: Database['kind'];

  if (databaseUrl) {
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: 10,
      connectionTimeoutMillis: 2000,
      // Moji's queries are small: one that takes this long means the server does not answer.
      query_timeout: QUERY_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
    });
    // An idle client whose connection dies emits here; without a listener the process exits.
    pool.on('error', (error) => log.warn({ err: error }, 'database connection lost'));
    dialect = wrapDialect(new PostgresDialect({ pool: discardingPool(pool) }), false);
    kind = 'postgres';
  } else {
    const dir = join(dataDir, 'pgdata');
    mkdirSync(dir, { recursive: true });
    dialect = wrapDialect(new KyselyPGlite(new PGlite(dir)).dialect, true);
    kind = 'pglite';
  }

  const db = new Kysely<DB>({ dialect });
  let migrated: Promise<void> | undefined;

  async function migrate(): Promise<void> {
    const { error, results } = await new Migrator({
      db,
      provider: migrationProvider,
    }).migrateToLatest();
    for (const result of results ?? []) {
      if (result.status === 'Success') log.info({ migration: result.migrationName }, 'migrated');
    }
    if (error)
      throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  }

  return {
    db,
    kind,
    ensureReady() {
      migrated ??= migrate()
        .then(() => options.prepare?.(db))
        .catch((error: unknown) => {
          migrated = undefined;
          if (isUnavailableError(error) || error instanceof MojiError) {
            const message = 'The database is unavailable; try again shortly';
            throw new MojiError('SERVICE_UNAVAILABLE', message, {
              cause: error,
              headers: { 'Retry-After': '5' },
            });
          }
          throw error;
        });

      return migrated;
    },
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
      });
      const probe = sql`select 1`
        .execute(db)
        .then(() => true)
        .catch(() => false);
      try {
        return await Promise.race([probe, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => db.destroy(),
  };
}
