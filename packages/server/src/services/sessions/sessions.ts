import {
  MojiError,
  type Caller,
  type CreateSessionInput,
  type List,
  type ListMessagesInput,
  type ListSessionsInput,
  type Session,
  type SessionIdInput,
  type StoredMessage,
} from '@moji/contracts';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';

import { authFailed } from '../../auth/tokens.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { parseUuid } from '../../db/parse-uuid.js';
import type { ServiceDeps } from '../deps.js';
import { appendTurn } from '../chat/transcript.js';
import { findOwnSession } from './find-session.js';
import { toSession, toStoredMessage } from './to-session.js';

const DEFAULT_PAGE = 50;

function page<T>(rows: T[], limit: number): List<T> {
  return { object: 'list', data: rows.slice(0, limit), has_more: rows.length > limit };
}

function unknownCursor(): MojiError {
  return new MojiError('NOT_FOUND', 'No item with the id given in "after"', {
    details: { param: 'after' },
  });
}

/** Starts a session; an initial message is stored as its first user message, unanswered. */
export async function createSession(
  deps: ServiceDeps,
  caller: Caller,
  input: CreateSessionInput,
): Promise<Session> {
  const id = uuidv7();
  const now = new Date();

  try {
    return await deps.database.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('chat_sessions')
        .values({ id, user_id: caller.id, title: null, created_at: now, updated_at: now })
        .execute();
      if (input?.initial_message !== undefined) {
        await appendTurn(trx, id, [{ role: 'user', content: input.initial_message }]);
      }
      const row = await trx
        .selectFrom('chat_sessions')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();

      return toSession(row);
    });
  } catch (error) {
    // The caller was authenticated from a cached row but has been deleted since.
    if (!isForeignKeyViolation(error)) throw error;
    deps.users.drop(caller.id);
    throw authFailed('Invalid or expired token');
  }
}

/** The caller's sessions, last active first. */
export async function listSessions(
  deps: ServiceDeps,
  caller: Caller,
  input: ListSessionsInput,
): Promise<List<Session>> {
  const limit = input?.limit ?? DEFAULT_PAGE;
  const db = deps.database.db;
  let query = db.selectFrom('chat_sessions').selectAll().where('user_id', '=', caller.id);

  if (input?.after !== undefined) {
    const cursor = await findOwnSession(db, caller.id, input.after).catch((error: unknown) => {
      throw error instanceof MojiError && error.code === 'NOT_FOUND' ? unknownCursor() : error;
    });
    // Compared in SQL: a JavaScript Date would drop the timestamp's microseconds.
    query = query.where(
      sql<boolean>`(updated_at, id) < (
        select c.updated_at, c.id from chat_sessions c where c.id = ${cursor.id}
      )`,
    );
  }
  const rows = await query
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();

  return page(rows.map(toSession), limit);
}

/** A session's messages, oldest first. */
export async function listMessages(
  deps: ServiceDeps,
  caller: Caller,
  input: ListMessagesInput,
): Promise<List<StoredMessage>> {
  const limit = input.limit ?? DEFAULT_PAGE;
  const db = deps.database.db;
  const session = await findOwnSession(db, caller.id, input.session_id);
  let query = db.selectFrom('chat_messages').selectAll().where('session_id', '=', session.id);

  if (input.after !== undefined) {
    const afterId = parseUuid(input.after);
    const cursor = afterId
      ? await db
          .selectFrom('chat_messages')
          .select('position')
          .where('id', '=', afterId)
          .where('session_id', '=', session.id)
          .executeTakeFirst()
      : undefined;
    if (!cursor) throw unknownCursor();
    query = query.where('position', '>', cursor.position);
  }
  const rows = await query
    .orderBy('position', 'asc')
    .limit(limit + 1)
    .execute();

  return page(rows.map(toStoredMessage), limit);
}

/** Deletes a session and its messages. */
export async function deleteSession(
  deps: ServiceDeps,
  caller: Caller,
  input: SessionIdInput,
): Promise<void> {
  const session = await findOwnSession(deps.database.db, caller.id, input.session_id);
  const deleted = await deps.database.db
    .deleteFrom('chat_sessions')
    .where('id', '=', session.id)
    .where('user_id', '=', caller.id)
    .returning('id')
    .executeTakeFirst();
  if (!deleted) throw new MojiError('NOT_FOUND', 'Session not found');
}
