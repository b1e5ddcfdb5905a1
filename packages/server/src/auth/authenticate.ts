import type { Caller } from '@moji/contracts';
import type { Kysely } from 'kysely';

import type { DB } from '../db/schema.js';
import { parseUuid } from '../db/parse-uuid.js';
import { findUserById } from '../services/auth/find-user.js';
import { authFailed, readBearerToken, type TokenIssuer } from './tokens.js';
import type { UserCache } from './user-cache.js';

/** A caller with the per-user settings the server needs. */
export interface AuthenticatedCaller extends Caller {
  /** The user's own hourly limit, when an admin set one. */
  rateLimitPerHour: number | null;
}

/** Checks an `Authorization` header and finds its user; throws AUTH_FAILED otherwise. */
export async function authenticate(
  deps: { tokens: TokenIssuer; users: UserCache; db: Kysely<DB> },
  header: string | undefined,
): Promise<AuthenticatedCaller> {
  const subject = await deps.tokens.verify(readBearerToken(header));
  const id = parseUuid(subject);
  if (!id) throw authFailed('Invalid or expired token');

  let user = deps.users.get(id);
  if (!user) {
    user = await findUserById(deps.db, id);
    if (user) deps.users.set(user);
  }
  if (!user || user.disabled) throw authFailed('Invalid or expired token');

  return {
    id: user.id,
    username: user.username,
    role: user.role,
    rateLimitPerHour: user.rate_limit_per_hour,
  };
}
