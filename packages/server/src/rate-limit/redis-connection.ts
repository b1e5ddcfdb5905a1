import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Connects to Redis for the rate limiter; commands fail at once while it is down. */
export function connectRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, {
    // Without a queue, a command sent while Redis is down fails at once and the
    // limiter falls back to its in-process insurance instead of waiting.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let wasReady = false;
  redis.on('ready', () => {
    wasReady = true;
    log.info('redis connected');
  });
  redis.on('error', (error: Error) => {
    if (wasReady) log.warn({ err: error }, 'redis unavailable; limiting in process');
    wasReady = false;
  });

  return redis;
}
