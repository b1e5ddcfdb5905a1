import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

import { MojiError } from '@moji/contracts';

import { WindowResets } from './window-resets.js';

/** Where a user stands against their hourly limit after a call. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Unix epoch seconds at which the window starts over. */
  reset: number;
  /** Seconds to wait, when over the limit. */
  retryAfter?: number;
}

// Counters count far past any limit; each caller compares them with its own limit, so an
// admin's change to one user's limit applies at once and keeps the count.
const COUNTER_POINTS = 2 ** 31 - 1;

function createCounter(
  redis: Redis | undefined,
  keyPrefix: string,
  duration: number,
  points = COUNTER_POINTS,
) {
  const memory = new RateLimiterMemory({ keyPrefix, points, duration });
  if (!redis) return memory;

  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points,
    duration,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
  });
}

async function consume(limiter: RateLimiterAbstract, key: string, points: number) {
  try {
    return await limiter.consume(key, points);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rejection;
    throw rejection;
  }
}

function tooManyRequests(
  message: string,
  retryAfter: number,
  headers: Record<string, string> = {},
) {
  return new MojiError('RATE_LIMIT_EXCEEDED', message, {
    details: { retry_after: retryAfter },
    headers: {
      ...headers,
      'Retry-After': String(retryAfter),
      // OpenAI's SDKs retry a 429 within seconds unless told not to.
      ...(retryAfter > 60 ? { 'x-should-retry': 'false' } : {}),
    },
  });
}

/** Per-user hourly limits, per-address auth limits and per-username login failures. */
export class RateLimits {
  private readonly hourly: RateLimiterAbstract;
  private readonly authAttempts: RateLimiterAbstract;
  private readonly loginFailures: RateLimiterAbstract;
  private readonly resets = new WindowResets();

  constructor(
    private readonly settings: { authLimitPerMinute: number; loginFailuresPerHour: number },
    redis: Redis | undefined,
  ) {
    this.hourly = createCounter(redis, 'moji:rl:user', 3600);
    this.authAttempts = createCounter(redis, 'moji:rl:auth', 60);
    this.loginFailures = createCounter(redis, 'moji:rl:login', 3600);
  }

  /** Charges a user's hourly limit; the state tells the headers, and whether it is exceeded. */
  async chargeUser(userId: string, limit: number, points: number): Promise<RateLimitState> {
    const result = await consume(this.hourly, userId, points);
    const reset = this.resets.settle(userId, Math.ceil((Date.now() + result.msBeforeNext) / 1000));
    const state: RateLimitState = {
      limit,
      remaining: Math.max(0, limit - result.consumedPoints),
      reset,
    };
    if (result.consumedPoints > limit)
      state.retryAfter = Math.max(1, Math.ceil(result.msBeforeNext / 1000));

    return state;
  }

  /** Counts a call to `/auth/token` or `/auth/register` from an address; throws 429 when over. */
  async chargeAuthAttempt(address: string): Promise<void> {
    const limit = this.settings.authLimitPerMinute;
    if (limit === 0) return;
    const result = await consume(this.authAttempts, address, 1);
    if (result.consumedPoints > limit) {
      throw tooManyRequests(
        'Too many sign-in or registration attempts from this address; try again later',
        Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      );
    }
  }

  /**
   * Takes one of a username's login attempts for the hour before its password is checked,
   * so that attempts sent at once cannot all be checked past the limit; throws 429 when none
   * is left. A successful login gives its attempt back with `releaseLoginAttempt`: only
   * failures stay counted.
   */
  async reserveLoginAttempt(username: string): Promise<void> {
    const limit = this.settings.loginFailuresPerHour;
    if (limit === 0) return;
    const key = username.toLowerCase();
    const result = await consume(this.loginFailures, key, 1);
    if (result.consumedPoints > limit) {
      await this.loginFailures.reward(key, 1).catch(() => undefined);
      throw tooManyRequests(
        'Too many failed logins for this username; try again later',
        Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      );
    }
  }

  /** Gives back the attempt a successful login reserved. */
  async releaseLoginAttempt(username: string): Promise<void> {
    if (this.settings.loginFailuresPerHour === 0) return;
    await this.loginFailures.reward(username.toLowerCase(), 1).catch(() => undefined);
  }

  /** The error for a user over their hourly limit, with its headers. */
  static exceeded(state: RateLimitState): MojiError {
    return tooManyRequests(
      `Rate limit of ${state.limit} requests per hour exceeded`,
      state.retryAfter ?? 1,
    );
  }
}

/** The `X-RateLimit-*` headers for a state. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(state.reset),
  };
}
