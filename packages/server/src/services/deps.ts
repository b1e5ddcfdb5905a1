import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import type { TokenIssuer } from '../auth/tokens.js';
import type { UserCache } from '../auth/user-cache.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { ModelRegistry } from '../providers/provider.js';
import type { RateLimits } from '../rate-limit/rate-limits.js';
import type { UsageRecorder } from './chat/usage-recorder.js';

/** The parts every service is built from. */
export interface ServiceDeps {
  config: Config;
  database: Database;
  tokens: TokenIssuer;
  limits: RateLimits;
  users: UserCache;
  models: ModelRegistry;
  usage: UsageRecorder;
  redis: Redis | undefined;
  log: Logger;
  version: string;
}
