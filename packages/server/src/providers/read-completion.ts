import { MojiError, type Completion } from '@moji/contracts';

import type { UpstreamBody } from './send-upstream-request.js';
import { isNetworkError, transportError } from './upstream-errors.js';
import {
  checkReplyMessage,
  isObject,
  malformedReply as malformed,
  toTokenCount as toCount,
} from './upstream-reply-shape.js';

/** The largest non-streamed upstream answer read; a bigger one is refused, not buffered. */
export const MAX_COMPLETION_BYTES = 32 * 1024 * 1024;

function tooLarge(): MojiError {
  return new MojiError('UPSTREAM_ERROR', 'The model provider sent an answer that is too large', {
    details: { source: 'upstream', limit_bytes: MAX_COMPLETION_BYTES },
  });
}

async function readBodyText(body: UpstreamBody): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > MAX_COMPLETION_BYTES) {
      body.destroy();
      throw tooLarge();
    }
    parts.push(part);
  }

  return Buffer.concat(parts).toString('utf8');
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
  checkReplyMessage(message);
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
    raw = JSON.parse(await readBodyText(body));
  } catch (error) {
    if (error instanceof SyntaxError) throw malformed();
    if (error instanceof MojiError || !isNetworkError(error)) throw error;
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
