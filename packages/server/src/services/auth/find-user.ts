import type { Kysely } from 'kysely';
import { sql } from 'kysely';

import type { DB, UserRow } from '../../db/schema.js';

/** Finds a user by username, regardless of letter case. */
export function findUserByUsername(db: Kysely<DB>, username: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
}

/** Finds a user by id. */
export function findUserById(db: Kysely<DB>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}
