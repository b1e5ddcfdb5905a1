import type { Session, StoredMessage } from '@moji/contracts';

import type { MessageRow, SessionRow } from '../../db/schema.js';

/** A session row as the API shows it. */
export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    title: row.title,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    message_count: row.message_count,
  };
}

/** A message row as the API shows it. */
export function toStoredMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    role: row.role as StoredMessage['role'],
    content: row.content,
    name: row.name,
    tool_calls: (row.tool_calls as unknown[] | null) ?? null,
    tool_call_id: row.tool_call_id,
    reasoning_content: row.reasoning_content,
    incomplete: row.incomplete,
    model: row.model,
    created_at: new Date(row.created_at).toISOString(),
  };
}
