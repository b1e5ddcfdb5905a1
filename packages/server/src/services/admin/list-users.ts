import { MojiError, type AdminUser, type List, type ListUsersInput } from '@moji/contracts';
import { sql } from 'kysely';

import { parseUuid } from '../../db/parse-uuid.js';
import type { ServiceDeps } from '../deps.js';
import { toAdminUser } from './to-admin-user.js';
import { toPage } from './to-page.js';

const DEFAULT_PAGE = 50;

/** Every user, oldest account first, paged by user id. */
export async function listUsers(
  deps: ServiceDeps,
  input: ListUsersInput,
): Promise<List<AdminUser>> {
  const limit = input?.limit ?? DEFAULT_PAGE;
  const db = deps.database.db;
  let query = db.selectFrom('users').selectAll();

  if (input?.after !== undefined) {
    const afterId = parseUuid(input.after);
    const cursor = afterId
      ? await db.selectFrom('users').select('id').where('id', '=', afterId).executeTakeFirst()
      : undefined;
    if (!cursor) {
      throw new MojiError('NOT_FOUND', 'No user with the id given in "after"', {
        details: { param: 'after' },
      });
    }
    // Compared in SQL: PostgreSQL keeps microseconds, which a JavaScript Date would drop.
    const cursorKey = sql`(select c.created_at, c.id from users c where c.id = ${cursor.id})`;
    query = query.where(sql<boolean>`(created_at, id) > ${cursorKey}`);
  }
  const rows = await query
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .limit(limit + 1)
    .execute();

  return toPage(rows.map(toAdminUser), limit);
}
