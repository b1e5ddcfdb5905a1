import type { User } from '@moji/contracts';

import type { UserRow } from '../../db/schema.js';

/** A user row as the API shows it. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    role: row.role,
    created_at: new Date(row.created_at).toISOString(),
  };
}
