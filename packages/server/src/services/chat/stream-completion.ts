import type { Caller, CompletionChunk, CompletionRequest, RequestInfo, Usage } from '@moji/contracts';

import type { ServiceDeps } from '../deps.js';
import { prepareCompletion } from './prepare-completion.js';
import { recordUsage, storeTurn, type Reply } from './record-turn.js';

interface ToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/** Gathers a streamed reply from its deltas. */
class ReplyCollector {
  content = '';
  reasoning = '';
  sawAny = false;
  finished = false;
  usage: Usage | undefined;
  private readonly toolCalls: { id: string; type: string; function: { name: string; arguments: string } }[] = [];

  add(chunk: CompletionChunk): void {
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices) {
      const delta = choice.delta;
      if (typeof delta.content === 'string' && delta.content !== '') {
        this.content += delta.content;
        this.sawAny = true;
      }
      if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
        this.reasoning += delta.reasoning_content;
        this.sawAny = true;
      }
      for (const call of (delta.tool_calls ?? []) as ToolCallDelta[]) {
        this.sawAny = true;
        const index = call.index ?? this.toolCalls.length;
        const target = (this.toolCalls[index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
        if (call.id) target.id = call.id;
        if (call.type) target.type = call.type;
        if (call.function?.name) target.function.name += call.function.name;
        if (call.function?.arguments) target.function.arguments += call.function.arguments;
      }
      if (choice.finish_reason) this.finished = true;
    }
  }

  reply(incomplete: boolean): Reply {
    const toolCalls = this.toolCalls.filter(Boolean);

    return {
      content: this.content === '' && toolCalls.length > 0 ? null : this.content,
      reasoning_content: this.reasoning === '' ? null : this.reasoning,
      tool_calls: toolCalls,
      incomplete,
    };
  }
}

/**
 * Starts a streamed completion. Resolves once the provider has answered, so failures before
 * that are ordinary errors. The turn is stored when the stream ends: complete, or marked
 * incomplete when it ended early after the model had begun answering.
 */
export async function streamCompletion(
  deps: ServiceDeps,
  caller: Caller,
  input: CompletionRequest,
  request: RequestInfo,
): Promise<AsyncIterable<CompletionChunk>> {
  const prepared = await prepareCompletion(deps, caller, input);
  const wantsUsage = input.stream_options?.include_usage === true;
  const upstream = await prepared.route.provider.stream(
    { ...prepared.upstream, stream: true, stream_options: { include_usage: true } },
    request.signal,
  );
  const log = deps.log.child({ requestId: request.requestId });

  async function* relay(): AsyncGenerator<CompletionChunk> {
    const collector = new ReplyCollector();
    let completed = false;
    try {
      for await (const chunk of upstream) {
        collector.add(chunk);
        const isUsageOnly = chunk.choices.length === 0 && chunk.usage;
        if (isUsageOnly && !wantsUsage) continue;
        const { usage, ...rest } = chunk;
        yield { ...rest, model: prepared.modelName, ...(wantsUsage && usage ? { usage } : {}) };
      }
      completed = true;
    } finally {
      await recordUsage(deps, caller, prepared.modelName, collector.usage).catch((error: unknown) =>
        log.error({ err: error }, 'usage not recorded'),
      );
      if (prepared.session && collector.sawAny) {
        await storeTurn(
          deps,
          prepared.session.id,
          prepared.modelName,
          prepared.newMessages,
          collector.reply(!completed),
        ).catch((error: unknown) => log.error({ err: error }, 'streamed turn not stored'));
      }
    }
  }

  return relay();
}
