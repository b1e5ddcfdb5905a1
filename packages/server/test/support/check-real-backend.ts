import { Redis } from 'ioredis';
import pg from 'pg';

/** Fails the run at once, and says why, when PostgreSQL or Redis cannot be reached. */
export default async function checkRealBackend(): Promise<void> {
  const client = new pg.Client({
    connectionString: process.env['DATABASE_URL'],
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(`PostgreSQL at DATABASE_URL cannot be reached: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }

  const redis = new Redis(process.env['REDIS_URL'] ?? '', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3000,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis at REDIS_URL cannot be reached: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
