import { MojiError, type AdminUser, type Caller, type UpdateUserInput } from '@moji/contracts';

import type { UsersTable } from '../../db/schema.js';
import type { ServiceDeps } from '../deps.js';
import { isActiveAdmin, lastAdminConflict, lockTarget, parseUserId } from './lock-target.js';
import { toAdminUser } from './to-admin-user.js';

type UserChanges = Partial<
  Pick<UsersTable, 'role' | 'rate_limit_per_hour'> & { disabled: boolean }
>;

function changesOf(input: UpdateUserInput): UserChanges {
  const changes: UserChanges = {};
  if (input.role !== undefined) changes.role = input.role;
  if (input.disabled !== undefined) changes.disabled = input.disabled;
  if (input.rate_limit_per_hour !== undefined)
    changes.rate_limit_per_hour = input.rate_limit_per_hour;

  return changes;
}

/**
 * Changes a user's role, disabled flag or hourly limit. An admin may not change their own
 * role or flag, nor take away the last active admin (409). The change applies at once in
 * this process: the user's cached row is dropped.
 */
export async function updateUser(
  deps: ServiceDeps,
  caller: Caller,
  input: UpdateUserInput,
): Promise<AdminUser> {
  const id = parseUserId(input.id);
  const changes = changesOf(input);
  if (id === caller.id && (changes.role !== undefined || changes.disabled !== undefined)) {
    throw new MojiError('CONFLICT', 'Admins cannot change their own role or disabled flag', {
      details: { reason: 'own_account' },
    });
  }

  const row = await deps.database.db.transaction().execute(async (trx) => {
    const { target, otherAdmins } = await lockTarget(trx, id);
    if (isActiveAdmin(target) && !isActiveAdmin({ ...target, ...changes }) && otherAdmins === 0) {
      throw lastAdminConflict();
    }
    if (Object.keys(changes).length === 0) return target;

    return trx
      .updateTable('users')
      .set(changes)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  deps.users.drop(id);

  return toAdminUser(row);
}
