import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

import { isUnavailableError } from './unavailable-driver.js';

/**
 * Lends the pool's clients to Kysely, but throws a client away instead of reusing it once a
 * query on it timed out or lost its connection. A frozen server or a cut network would
 * otherwise leave the client waiting for an answer that never comes, and every request that
 * borrowed it later would wait behind it.
 */
export function discardingPool(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let broken = false;
      // pg-pool listens for errors only on idle clients; a lent client whose connection is
      // cut between two queries (inside a transaction, say) would otherwise emit an unheard
      // 'error', which ends the process.
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      const query = (text: unknown, parameters?: ReadonlyArray<unknown>) => {
        const pending = client.query(text as string, parameters as unknown[]) as unknown;
        if (!(pending instanceof Promise)) return pending;

        return pending.catch((error: unknown) => {
          if (isUnavailableError(error)) broken = true;
          throw error;
        });
      };

      return {
        query: query as {
          <R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
          <R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
        },
        // pg-pool destroys a client released with an error.
        release: () => {
          client.off('error', onError);
          client.release(broken ? new Error('connection discarded') : undefined);
        },
      };
    },
    end: () => pool.end(),
  };
}
