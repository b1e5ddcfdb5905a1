import { MojiError } from '@moji/contracts';

/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** Whether a value is a JSON object. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The answer for an upstream reply that is not shaped as OpenAI's: it is never stored. */
export function malformedReply(): MojiError {
  return new MojiError('UPSTREAM_ERROR', 'The model provider sent a malformed reply', {
    details: { source: 'upstream' },
  });
}

/** The largest count PostgreSQL's `integer` columns hold. */
const MAX_COUNT = 2_147_483_647;

/**
 * A token count as stored: a non-negative whole number within PostgreSQL's integer range.
 * Anything else an upstream sends (a fraction, 1e12, a string) must not reach the INSERT.
 */
export function toTokenCount(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return 0;

  return Math.min(MAX_COUNT, Math.floor(value));
}

/** Whether a value is absent, null or a string: the shape of a text field of a reply. */
export function isOptionalText(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

function isToolCall(value: unknown): boolean {
  if (!isObject(value) || typeof value['id'] !== 'string') return false;
  if (value['type'] !== undefined && typeof value['type'] !== 'string') return false;
  const fn = value['function'];

  return isObject(fn) && typeof fn['name'] === 'string' && typeof fn['arguments'] === 'string';
}

/** Checks a non-streamed reply's message; throws `malformedReply` when it is not OpenAI's. */
export function checkReplyMessage(message: JsonObject): void {
  const toolCalls = message['tool_calls'];
  const toolCallsOk =
    toolCalls === undefined ||
    toolCalls === null ||
    (Array.isArray(toolCalls) && toolCalls.every(isToolCall));
  if (
    !isOptionalText(message['content']) ||
    !isOptionalText(message['reasoning_content']) ||
    !toolCallsOk
  ) {
    throw malformedReply();
  }
}
