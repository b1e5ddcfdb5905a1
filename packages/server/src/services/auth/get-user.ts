import type { Caller, User } from '@moji/contracts';

import { authFailed } from '../../auth/tokens.js';
import type { ServiceDeps } from '../deps.js';
import { findUserById } from './find-user.js';
import { toUser } from './to-user.js';

/** The signed-in user, read fresh from the database. */
export async function getUser(deps: ServiceDeps, caller: Caller): Promise<User> {
  const row = await findUserById(deps.database.db, caller.id);
  if (!row || row.disabled) throw authFailed('Invalid or expired token');

  return toUser(row);
}
