import { MojiError } from '@moji/contracts';
import type { Transaction } from 'kysely';

import { parseUuid } from '../../db/parse-uuid.js';
import type { DB, UserRow } from '../../db/schema.js';

/** The answer for an unknown or malformed user id. */
export function userNotFound(): MojiError {
  return new MojiError('NOT_FOUND', 'User not found');
}

/** Reads a user id from a path; a malformed one is the same 404 as an unknown one. */
export function parseUserId(text: string): string {
  const id = parseUuid(text);
  if (!id) throw userNotFound();

  return id;
}

/**
 * Locks the active admins, in id order, and then the target user, for a change that may take
 * an admin away. Locking the admins first and always in one order keeps two admins who
 * demote each other at once from both succeeding (or deadlocking): the second one waits,
 * then sees that it would remove the last admin.
 */
export async function lockTarget(
  trx: Transaction<DB>,
  id: string,
): Promise<{ target: UserRow; otherAdmins: number }> {
  const admins = await trx
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled', '=', false)
    .orderBy('id')
    .forUpdate()
    .execute();
  const target = await trx
    .selectFrom('users')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!target) throw userNotFound();

  return { target, otherAdmins: admins.filter((admin) => admin.id !== id).length };
}

/** Tells whether a user counts as an admin: one with the role who is not disabled. */
export function isActiveAdmin(user: Pick<UserRow, 'role' | 'disabled'>): boolean {
  return user.role === 'admin' && !user.disabled;
}

/** The answer when a change would leave no active admin. */
export function lastAdminConflict(): MojiError {
  return new MojiError('CONFLICT', 'This is the last admin; make another admin first', {
    details: { reason: 'last_admin' },
  });
}
