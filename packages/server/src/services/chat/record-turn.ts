import { MojiError, type Caller, type CompletionRequest, type Usage } from '@moji/contracts';
import { v7 as uuidv7 } from 'uuid';

import type { ServiceDeps } from '../deps.js';
import { appendTurn, type TurnMessage } from './transcript.js';

/** A reply as stored. */
export interface Reply {
  content: string | null;
  reasoning_content?: string | null | undefined;
  tool_calls?: unknown[] | undefined;
  incomplete?: boolean;
}

/** Stores the request's messages and the reply in one transaction. */
export async function storeTurn(
  deps: ServiceDeps,
  sessionId: string,
  modelName: string,
  messages: CompletionRequest['messages'],
  reply: Reply,
): Promise<void> {
  const turn: TurnMessage[] = [
    ...messages.map((message) => ({ ...message }) as TurnMessage),
    {
      role: 'assistant',
      content: reply.content,
      tool_calls: reply.tool_calls && reply.tool_calls.length > 0 ? reply.tool_calls : null,
      reasoning_content: reply.reasoning_content ?? null,
      incomplete: reply.incomplete ?? false,
      model: modelName,
    },
  ];
  const stored = await deps.database.db.transaction().execute(async (trx) => {
    const exists = await trx
      .selectFrom('chat_sessions')
      .select('id')
      .where('id', '=', sessionId)
      .executeTakeFirst();
    if (!exists) return false;
    await appendTurn(trx, sessionId, turn);

    return true;
  });
  if (!stored) throw new MojiError('NOT_FOUND', 'Session not found');
}

/** Records the tokens a call spent, under the user's current name. */
export async function recordUsage(
  deps: ServiceDeps,
  caller: Caller,
  modelName: string,
  usage: Usage | undefined | null,
): Promise<void> {
  await deps.database.db
    .insertInto('usage_records')
    .values({
      id: uuidv7(),
      user_id: caller.id,
      username: caller.username,
      model: modelName,
      prompt_tokens: usage?.prompt_tokens ?? 0,
      completion_tokens: usage?.completion_tokens ?? 0,
    })
    .execute();
}
