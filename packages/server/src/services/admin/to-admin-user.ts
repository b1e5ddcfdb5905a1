import type { AdminUser } from '@moji/contracts';

import type { UserRow } from '../../db/schema.js';
import { toUser } from '../auth/to-user.js';

/** A user row as admins see it. */
export function toAdminUser(row: UserRow): AdminUser {
  return { ...toUser(row), disabled: row.disabled, rate_limit_per_hour: row.rate_limit_per_hour };
}
