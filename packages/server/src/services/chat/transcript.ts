import { MojiError } from '@moji/contracts';
import type { Kysely, Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';

import type { DB, MessageRow } from '../../db/schema.js';
import { contentText } from '../../providers/content-text.js';

/** A message to store in a session. */
export interface TurnMessage {
  role: string;
  content?: unknown;
  name?: string | null | undefined;
  tool_calls?: unknown[] | null | undefined;
  tool_call_id?: string | null | undefined;
  reasoning_content?: string | null | undefined;
  incomplete?: boolean;
  model?: string | null;
}

const TITLE_LENGTH = 200;

/** The first 200 characters of a text, counted in code points so no character is cut in two. */
function titleOf(text: string): string {
  if (text.length <= TITLE_LENGTH) return text;
  let title = '';
  let count = 0;
  for (const character of text) {
    if (count === TITLE_LENGTH) break;
    title += character;
    count += 1;
  }

  return title;
}

function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/**
 * Appends messages to a session inside the caller's transaction, in order, and updates its
 * count, last activity and, from its first user message, its title. Returns false when the
 * session no longer exists.
 */
export async function appendTurn(
  trx: Transaction<DB>,
  sessionId: string,
  messages: TurnMessage[],
  expectedCount?: number,
): Promise<boolean> {
  // The row lock orders concurrent turns of one session.
  const session = await trx
    .selectFrom('chat_sessions')
    .select(['message_count', 'title'])
    .where('id', '=', sessionId)
    .forUpdate()
    .executeTakeFirst();
  if (!session) return false;
  if (expectedCount !== undefined && session.message_count !== expectedCount) {
    throw new MojiError('CONFLICT', 'The session changed while this reply was made; ask again', {
      details: { param: 'session_id' },
    });
  }
  if (messages.length === 0) return true;
  const now = new Date();

  await trx
    .insertInto('chat_messages')
    .values(
      messages.map((message, index) => ({
        id: uuidv7(),
        session_id: sessionId,
        position: session.message_count + index,
        role: message.role,
        content: toJson(message.content),
        name: message.name ?? null,
        tool_calls: toJson(message.tool_calls),
        tool_call_id: message.tool_call_id ?? null,
        reasoning_content: message.reasoning_content ?? null,
        incomplete: message.incomplete ?? false,
        model: message.model ?? null,
        created_at: now,
      })),
    )
    .execute();

  const firstUser = messages.find((message) => message.role === 'user');
  const title = session.title ?? (firstUser ? titleOf(contentText(firstUser.content)) : null);
  await trx
    .updateTable('chat_sessions')
    .set({ message_count: session.message_count + messages.length, updated_at: now, title })
    .where('id', '=', sessionId)
    .execute();

  return true;
}

/** A session's stored messages, oldest first. */
export function loadTranscript(db: Kysely<DB>, sessionId: string): Promise<MessageRow[]> {
  return db
    .selectFrom('chat_messages')
    .selectAll()
    .where('session_id', '=', sessionId)
    .orderBy('position', 'asc')
    .execute();
}

/**
 * A stored message as it is sent upstream again. DeepSeek's reasoning goes back only on
 * assistant turns with tool calls, where its thinking mode requires it.
 */
export function toUpstreamMessage(row: MessageRow): Record<string, unknown> {
  const message: Record<string, unknown> = { role: row.role, content: row.content ?? null };
  if (row.name !== null) message['name'] = row.name;
  if (row.tool_call_id !== null) message['tool_call_id'] = row.tool_call_id;
  const toolCalls = row.tool_calls as unknown[] | null;
  if (toolCalls && toolCalls.length > 0) {
    message['tool_calls'] = toolCalls;
    if (row.reasoning_content !== null) message['reasoning_content'] = row.reasoning_content;
  }

  return message;
}
