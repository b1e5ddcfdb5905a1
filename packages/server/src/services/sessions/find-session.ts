import { MojiError } from '@moji/contracts';
import type { Kysely } from 'kysely';

import { parseUuid } from '../../db/parse-uuid.js';
import type { DB, SessionRow } from '../../db/schema.js';

/**
 * Finds a session of the caller's. Anything else (a malformed id, an unknown one, another
 * user's) is the same 404, so that ids cannot be probed.
 */
export async function findOwnSession(
  db: Kysely<DB>,
  userId: string,
  sessionId: string,
): Promise<SessionRow> {
  const id = parseUuid(sessionId);
  const row = id
    ? await db
        .selectFrom('chat_sessions')
        .selectAll()
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new MojiError('NOT_FOUND', 'Session not found');

  return row;
}
