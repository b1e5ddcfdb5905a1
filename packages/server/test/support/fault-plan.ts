import { backend } from './moji.js';
import { postgresMissing } from './postgres-instance.js';
import { redisMissing } from './redis-instance.js';

const realConfigured = Boolean(process.env['DATABASE_URL'] && process.env['REDIS_URL']);

/**
 * Why the fault tests (which start their own PostgreSQL and Redis) do not run in this project,
 * or undefined when they do. They run once per suite: in `server-real` when it is configured,
 * otherwise in `server-embedded`. A missing program fails the run under CI=true.
 */
export function faultSkipReason(): string | undefined {
  const missing = postgresMissing() ?? redisMissing();
  if (missing) {
    if (process.env['CI'] === 'true') throw new Error(`${missing}; CI must run the fault tests`);

    return missing;
  }
  if (realConfigured && backend !== 'real') return 'they run once, in the server-real project';

  return undefined;
}

/** A test title that says why it was skipped, when it was. */
export function titled(title: string, skipReason: string | undefined): string {
  return skipReason === undefined ? title : `${title} (skipped: ${skipReason})`;
}
