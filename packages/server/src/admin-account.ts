import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';

import { hashPassword } from './auth/passwords.js';
import type { UserCache } from './auth/user-cache.js';
import { ConfigError, type Config } from './config.js';
import type { Database } from './db/database.js';
import { isUniqueViolation } from './db/errors.js';

/**
 * Makes the configured admin account, or takes an existing account of that name back: it is
 * made admin, re-enabled and given the configured password and e-mail.
 */
export async function ensureAdminAccount(
  database: Database,
  users: UserCache,
  admin: NonNullable<Config['admin']>,
): Promise<void> {
  try {
    await writeAdminAccount(database, users, admin);
  } catch (error) {
    // Retrying cannot help: the server must not start with settings it cannot apply.
    if (isUniqueViolation(error)) {
      throw new ConfigError(`ADMIN_EMAIL ${admin.email} belongs to another account`);
    }
    throw error;
  }
}

async function writeAdminAccount(
  database: Database,
  users: UserCache,
  admin: NonNullable<Config['admin']>,
): Promise<void> {
  const passwordHash = await hashPassword(admin.password);
  const existing = await database.db
    .selectFrom('users')
    .select('id')
    .where(sql<string>`lower(username)`, '=', admin.username.toLowerCase())
    .executeTakeFirst();

  if (existing) {
    await database.db
      .updateTable('users')
      .set({ role: 'admin', disabled: false, password_hash: passwordHash, email: admin.email })
      .where('id', '=', existing.id)
      .execute();
    users.drop(existing.id);

    return;
  }
  await database.db
    .insertInto('users')
    .values({
      id: uuidv7(),
      username: admin.username,
      email: admin.email,
      password_hash: passwordHash,
      role: 'admin',
      rate_limit_per_hour: null,
    })
    .execute();
}
