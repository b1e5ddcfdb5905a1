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

// NUL and lone surrogates: PostgreSQL's text and jsonb cannot hold them.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this must find
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as PostgreSQL can store it: NUL and lone surrogates (which text and jsonb refuse)
 * become U+FFFD. Only what is stored is changed; the response carries what the model sent.
 */
function toStorableText(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

/** A value with every string in it made storable, for the tool calls of a reply. */
function toStorable(value: unknown): unknown {
  if (typeof value === 'string') return toStorableText(value);
  if (Array.isArray(value)) return value.map(toStorable);
  if (typeof value !== 'object' || value === null) return value;

  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [toStorableText(key), toStorable(item)]),
  );
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
  storedCount: number,
): Promise<void> {
  const turn: TurnMessage[] = [
    ...messages.map((message): TurnMessage => ({ ...message })),
    {
      role: 'assistant',
      content: reply.content === null ? null : toStorableText(reply.content),
      tool_calls:
        reply.tool_calls && reply.tool_calls.length > 0
          ? (toStorable(reply.tool_calls) as unknown[])
          : null,
      reasoning_content:
        reply.reasoning_content == null ? null : toStorableText(reply.reasoning_content),
      incomplete: reply.incomplete ?? false,
      model: modelName,
    },
  ];
  const stored = await deps.database.db
    .transaction()
    // A reply to the stored last message (`messages: []`) is the reply only while nothing
    // else has answered it meanwhile.
    .execute((trx) =>
      appendTurn(trx, sessionId, turn, messages.length === 0 ? storedCount : undefined),
    );
  if (!stored) throw new MojiError('NOT_FOUND', 'Session not found');
}
