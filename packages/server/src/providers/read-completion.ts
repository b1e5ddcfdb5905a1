import { MojiError, type Completion } from '@moji/contracts';

import type { UpstreamBody } from './send-upstream-request.js';
import { isNetworkError, transportError } from './upstream-errors.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(): MojiError {
  return new MojiError('UPSTREAM_ERROR', 'The model provider sent a malformed answer', {
    details: { source: 'upstream' },
  });
}

function toCount(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}

/** The usage an upstream reported, with the three counts the contract promises. */
export function toUsage(value: unknown): Completion['usage'] {
  if (!isObject(value)) return undefined;
  const prompt = toCount(value['prompt_tokens']);
  const completion = toCount(value['completion_tokens']);
  const total = toCount(value['total_tokens']) || prompt + completion;

  return { ...value, prompt_tokens: prompt, completion_tokens: completion, total_tokens: total };
}

function toChoice(value: unknown, index: number): Completion['choices'][number] {
  if (!isObject(value) || !isObject(value['message'])) throw malformed();
  const message = value['message'];
  const content = message['content'];
  const finishReason = value['finish_reason'];

  return {
    ...value,
    index: typeof value['index'] === 'number' ? value['index'] : index,
    message: {
      ...message,
      role: 'assistant',
      content: typeof content === 'string' ? content : null,
    },
    finish_reason: typeof finishReason === 'string' ? finishReason : null,
  };
}

/**
 * Reads an upstream's `chat.completion` and makes sure it has the contract's shape, so that
 * a provider that leaves a field out is answered for, not failed as a bug of Moji's.
 */
export async function readCompletion(body: UpstreamBody): Promise<Completion> {
  let raw: unknown;
  try {
    raw = await body.json();
  } catch (error) {
    if (error instanceof SyntaxError) throw malformed();
    if (!isNetworkError(error)) throw error;
    throw transportError(error);
  }
  if (!isObject(raw) || !Array.isArray(raw['choices'])) throw malformed();

  return {
    ...raw,
    id: typeof raw['id'] === 'string' ? raw['id'] : 'chatcmpl-upstream',
    object: 'chat.completion',
    created: Number.isInteger(raw['created'])
      ? (raw['created'] as number)
      : Math.floor(Date.now() / 1000),
    model: typeof raw['model'] === 'string' ? raw['model'] : '',
    choices: raw['choices'].map(toChoice),
    usage: toUsage(raw['usage']),
  };
}
