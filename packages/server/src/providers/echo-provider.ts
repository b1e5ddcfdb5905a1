import type { Completion, CompletionChunk } from '@moji/contracts';
import { v7 as uuidv7 } from 'uuid';

import { contentText } from './content-text.js';
import type { ChatProvider, ProviderCall, UpstreamRequest } from './provider.js';

function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function answer(request: UpstreamRequest) {
  const messages = request.messages as { role?: unknown; content?: unknown }[];
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const content = contentText(lastUser?.content);
  const promptTokens = messages.reduce(
    (sum, message) => sum + countTokens(contentText(message.content)),
    0,
  );
  const completionTokens = countTokens(content);

  return {
    id: `chatcmpl-${uuidv7()}`,
    created: Math.floor(Date.now() / 1000),
    content,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

/**
 * The built-in development model: answers with the last user message and counts tokens by
 * whitespace. It is served only while no upstream is configured.
 */
export class EchoProvider implements ChatProvider {
  readonly name = 'echo';
  readonly extraFields = new Set<string>();

  complete(request: UpstreamRequest): Promise<Completion> {
    const { id, created, content, usage } = answer(request);

    return Promise.resolve({
      id,
      object: 'chat.completion',
      created,
      model: request.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage,
    });
  }

  stream(request: UpstreamRequest, call: ProviderCall): Promise<AsyncIterable<CompletionChunk>> {
    const { signal } = call;
    const { id, created, content, usage } = answer(request);
    const base = { id, object: 'chat.completion.chunk' as const, created, model: request.model };
    const words = content.split(/(?<=\s)/).filter(Boolean);

    async function* chunks(): AsyncGenerator<CompletionChunk> {
      yield {
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      };
      for (const word of words) {
        if (signal.aborted) return;
        yield { ...base, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] };
        await new Promise((resolve) => setImmediate(resolve));
      }
      yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
      yield { ...base, choices: [], usage };
    }

    return Promise.resolve(chunks());
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
