import type { Health } from '@moji/contracts';

import type { ServiceDeps } from '../deps.js';

async function isRedisHealthy(deps: ServiceDeps): Promise<boolean> {
  if (!deps.redis || deps.redis.status !== 'ready') return false;

  return deps.redis
    .ping()
    .then(() => true)
    .catch(() => false);
}

/** Probes the database and Redis; 503 when the database is down, `degraded` when Redis is. */
export async function checkHealth(
  deps: ServiceDeps,
): Promise<{ health: Health; httpStatus: 200 | 503 }> {
  const [databaseUp, redisUp] = await Promise.all([deps.database.ping(), isRedisHealthy(deps)]);
  const redis = deps.redis ? (redisUp ? 'healthy' : 'unhealthy') : 'disabled';
  const status = !databaseUp ? 'unhealthy' : redis === 'unhealthy' ? 'degraded' : 'healthy';

  return {
    health: {
      status,
      timestamp: new Date().toISOString(),
      version: deps.version,
      services: {
        database: databaseUp ? 'healthy' : 'unhealthy',
        redis,
        model: deps.models.description,
      },
    },
    httpStatus: databaseUp ? 200 : 503,
  };
}
