import {
  toMojiError,
  type Caller,
  type CompletionChunk,
  type CompletionRequest,
  type RequestInfo,
} from '@moji/contracts';

import type { ServiceDeps } from '../deps.js';
import { prepareCompletion } from './prepare-completion.js';
import { storeTurn } from './record-turn.js';
import { ReplyCollector } from './reply-collector.js';

/**
 * Starts a streamed completion. Resolves once the provider has answered, so failures before
 * that are ordinary errors. Usage is always asked for and recorded; the client sees it only
 * when it asked. The turn is stored when the stream ends: complete, or marked incomplete
 * when it ended early (the client hung up, the upstream failed) after the model had begun.
 */
export async function streamCompletion(
  deps: ServiceDeps,
  caller: Caller,
  input: CompletionRequest,
  request: RequestInfo,
): Promise<AsyncIterable<CompletionChunk>> {
  // Over /trpc the procedure itself asks for a stream; `stream_options` need not repeat it.
  const prepared = await prepareCompletion(deps, caller, { ...input, stream: true });
  const { modelName, session } = prepared;
  const wantsUsage = input.stream_options?.include_usage === true;
  const upstream = await prepared.route.provider.stream(
    { ...prepared.upstream, stream: true, stream_options: { include_usage: true } },
    { signal: request.signal, modelName, passThrough: prepared.route.passThrough },
  );

  async function* relay(): AsyncGenerator<CompletionChunk> {
    const collector = new ReplyCollector();
    let completed = false;
    let unstored: unknown;
    try {
      for await (const chunk of upstream) {
        collector.add(chunk);
        if (chunk.usage && !wantsUsage) {
          if (chunk.choices.length === 0) continue;
          const withoutUsage = { ...chunk, model: modelName };
          delete withoutUsage.usage;
          yield withoutUsage;
        } else {
          chunk.model = modelName;
          yield chunk;
        }
      }
      completed = true;
    } finally {
      const recorded = deps.usage.record(caller, modelName, collector.usage);
      if (session && collector.sawAny) {
        await storeTurn(
          deps,
          session.id,
          modelName,
          prepared.newMessages,
          collector.reply(!completed),
          prepared.storedCount,
        ).catch((error: unknown) => {
          deps.log.error({ err: error, requestId: request.requestId }, 'streamed turn not stored');
          unstored = error;
        });
      }
      await recorded;
    }
    // `[DONE]` tells the client its turn is kept: a complete turn that could not be stored
    // ends the stream with an error event instead.
    if (unstored !== undefined) throw toMojiError(unstored);
  }

  return relay();
}
