import {
  MojiError,
  validationError,
  type List,
  type UsageInput,
  type UserUsage,
} from '@moji/contracts';
import { sql } from 'kysely';

import { parseUuid } from '../../db/parse-uuid.js';
import type { ServiceDeps } from '../deps.js';
import { toPage } from './to-page.js';

const DEFAULT_PAGE = 50;

/**
 * Chat completion usage per user, all time or from `since` until `until`, by user id. Rows
 * of deleted users count under the username they had.
 */
export async function getUsage(deps: ServiceDeps, input: UsageInput): Promise<List<UserUsage>> {
  const limit = input?.limit ?? DEFAULT_PAGE;
  const since = input?.since === undefined ? undefined : new Date(input.since);
  const until = input?.until === undefined ? undefined : new Date(input.until);
  if (since && until && since > until) {
    throw validationError([{ path: ['until'], message: 'must not be before "since"' }]);
  }
  // Usage is written in batches; what has been recorded must be in the report.
  await deps.usage.flush();
  let query = deps.database.db
    .selectFrom('usage_records')
    .select([
      'user_id',
      sql<string>`max(username)`.as('username'),
      sql<string>`count(*)`.as('requests'),
      sql<string>`coalesce(sum(prompt_tokens), 0)`.as('prompt_tokens'),
      sql<string>`coalesce(sum(completion_tokens), 0)`.as('completion_tokens'),
    ]);

  if (since) query = query.where('created_at', '>=', since);
  if (until) query = query.where('created_at', '<', until);
  if (input?.after !== undefined) {
    const afterId = parseUuid(input.after);
    if (!afterId) {
      throw new MojiError('NOT_FOUND', 'No user with the id given in "after"', {
        details: { param: 'after' },
      });
    }
    query = query.where('user_id', '>', afterId);
  }
  const rows = await query
    .groupBy('user_id')
    .orderBy('user_id')
    .limit(limit + 1)
    .execute();

  // PostgreSQL sums and counts are bigints, which the drivers hand over as strings.
  const usage = rows.map((row) => ({
    user_id: row.user_id,
    username: row.username,
    requests: Number(row.requests),
    prompt_tokens: Number(row.prompt_tokens),
    completion_tokens: Number(row.completion_tokens),
  }));

  return toPage(usage, limit);
}
