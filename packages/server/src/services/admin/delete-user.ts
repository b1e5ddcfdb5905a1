import { MojiError, type Caller, type UserIdInput } from '@moji/contracts';

import type { ServiceDeps } from '../deps.js';
import { isActiveAdmin, lastAdminConflict, lockTarget, parseUserId } from './lock-target.js';

/**
 * Deletes a user; their sessions and messages go with them (the foreign keys cascade), their
 * usage rows stay under the username they had. Their tokens stop working at once here.
 */
export async function deleteUser(
  deps: ServiceDeps,
  caller: Caller,
  input: UserIdInput,
): Promise<void> {
  const id = parseUserId(input.id);
  if (id === caller.id) {
    throw new MojiError('CONFLICT', 'Admins cannot delete their own account', {
      details: { reason: 'own_account' },
    });
  }

  await deps.database.db.transaction().execute(async (trx) => {
    const { target, otherAdmins } = await lockTarget(trx, id);
    if (isActiveAdmin(target) && otherAdmins === 0) throw lastAdminConflict();
    await trx.deleteFrom('users').where('id', '=', id).execute();
  });
  deps.users.drop(id);
}
