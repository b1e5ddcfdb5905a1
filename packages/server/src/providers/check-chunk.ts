import type { CompletionChunk } from '@moji/contracts';

import { isObject, isOptionalText, malformedReply } from './upstream-reply-shape.js';

/** Tool calls one reply may hold; an index past it is not a real provider's. */
export const MAX_TOOL_CALLS = 128;

/** Whether a tool call's index is one a collector may use as an array slot. */
export function isToolCallIndex(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < MAX_TOOL_CALLS
  );
}

function isToolCallDelta(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (value['index'] !== undefined && !isToolCallIndex(value['index'])) return false;
  if (!isOptionalText(value['id']) || !isOptionalText(value['type'])) return false;
  const fn = value['function'];
  if (fn === undefined || fn === null) return true;

  return isObject(fn) && isOptionalText(fn['name']) && isOptionalText(fn['arguments']);
}

function isChoice(value: unknown): boolean {
  if (!isObject(value)) return false;
  const delta = value['delta'];
  if (delta === undefined || delta === null) return true;
  if (!isObject(delta)) return false;
  if (!isOptionalText(delta['content']) || !isOptionalText(delta['reasoning_content'])) {
    return false;
  }
  const toolCalls = delta['tool_calls'];

  return (
    toolCalls === undefined ||
    toolCalls === null ||
    (Array.isArray(toolCalls) && toolCalls.every(isToolCallDelta))
  );
}

/**
 * Checks a parsed stream chunk against OpenAI's shape, so that what the reply collector reads
 * (text, tool call slots) is what it expects; anything else is the upstream's malformed reply.
 */
export function checkChunk(chunk: object): CompletionChunk {
  const choices = (chunk as { choices?: unknown }).choices;
  if (!Array.isArray(choices) || !choices.every(isChoice)) throw malformedReply();

  return chunk as CompletionChunk;
}
