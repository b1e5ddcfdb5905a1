import type {
  DatabaseConnection,
  Driver,
  TransactionSettings,
  CompiledQuery,
  QueryResult,
} from 'kysely';

import { MojiError } from '@moji/contracts';

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

const unavailableMessages = new RegExp(
  [
    'connection terminated',
    'timeout exceeded when trying to connect',
    'query read timeout',
    'not queryable',
    'connection error',
  ].join('|'),
  'i',
);

/** Tells whether an error means the database cannot be reached, rather than a bad query. */
export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (networkCodes.has(code)) return true;
    // SQLSTATE class 08 (connection exception), 57P0x (server shutting down), 53300 (too many connections)
    if (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300') return true;
  }

  return unavailableMessages.test(error.message);
}

function unavailable(cause: unknown): MojiError {
  return new MojiError('SERVICE_UNAVAILABLE', 'The database is unavailable; try again shortly', {
    cause,
    headers: { 'Retry-After': '5' },
  });
}

async function mapUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw isUnavailableError(error) ? unavailable(error) : error;
  }
}

class MappedConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return mapUnavailable(() => this.inner.executeQuery<R>(query));
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/**
 * Wraps a Kysely driver so that a lost database becomes SERVICE_UNAVAILABLE (503), and,
 * for a single-connection database such as PGlite, so that one connection is lent at a
 * time: otherwise a transaction's BEGIN would take in other requests' queries.
 */
export class UnavailableMappingDriver implements Driver {
  private queue: Promise<void> = Promise.resolve();
  private readonly releases = new WeakMap<DatabaseConnection, () => void>();

  constructor(
    private readonly inner: Driver,
    private readonly serialize: boolean,
  ) {}

  init(): Promise<void> {
    return mapUnavailable(() => this.inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let release: () => void = () => {};
    if (this.serialize) {
      const previous = this.queue;
      this.queue = new Promise<void>((resolve) => {
        release = resolve;
      });
      await previous;
    }
    try {
      const connection = await mapUnavailable(() => this.inner.acquireConnection());
      const mapped = new MappedConnection(connection);
      this.releases.set(mapped, release);

      return mapped;
    } catch (error) {
      release();
      throw error;
    }
  }

  private unwrap(connection: DatabaseConnection): DatabaseConnection {
    return connection instanceof MappedConnection ? connection.inner : connection;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return mapUnavailable(() => this.inner.beginTransaction(this.unwrap(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return mapUnavailable(() => this.inner.commitTransaction(this.unwrap(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return mapUnavailable(() => this.inner.rollbackTransaction(this.unwrap(connection)));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.releaseConnection(this.unwrap(connection));
    } finally {
      this.releases.get(connection)?.();
    }
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
