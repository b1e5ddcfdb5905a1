import { MojiError, type CompletionRequest } from '@moji/contracts';

import type { ServiceDeps } from '../deps.js';
import { appendTurn, type TurnMessage } from './transcript.js';

/** A reply as stored. */
export interface Reply {
  content: string | null;
  reasoning_content?: string | null | undefined;
  tool_calls?: unknown[] | undefined;
  incomplete?: boolean;
}

/** Whether the model sent nothing at all: such a turn is not stored. */
export function isEmptyReply(reply: Reply): boolean {
  return !reply.content && !reply.reasoning_content && (reply.tool_calls?.length ?? 0) === 0;
}

/**
 * Stores the request's messages and the reply in one transaction. Throws NOT_FOUND when the
 * session was deleted meanwhile; nothing is then stored.
 */
export async function storeTurn(
  deps: ServiceDeps,
  sessionId: string,
  modelName: string,
  messages: CompletionRequest['messages'],
  reply: Reply,
): Promise<void> {
  const turn: TurnMessage[] = [
    ...messages.map((message): TurnMessage => ({ ...message })),
    {
      role: 'assistant',
      content: reply.content,
      tool_calls: reply.tool_calls && reply.tool_calls.length > 0 ? reply.tool_calls : null,
      reasoning_content: reply.reasoning_content ?? null,
      incomplete: reply.incomplete ?? false,
      model: modelName,
    },
  ];
  const stored = await deps.database.db
    .transaction()
    .execute((trx) => appendTurn(trx, sessionId, turn));
  if (!stored) throw new MojiError('NOT_FOUND', 'Session not found');
}
