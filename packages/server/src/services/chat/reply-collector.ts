import type { CompletionChunk, Usage } from '@moji/contracts';

import { isToolCallIndex } from '../../providers/check-chunk.js';
import { toUsage } from '../../providers/read-completion.js';
import { malformedReply } from '../../providers/upstream-reply-shape.js';
import type { Reply } from './record-turn.js';

interface ToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

interface ToolCall {
  id: string;
  type: string;
  function: { name: string; arguments: string };
}

/** Gathers a streamed reply from its deltas: text, reasoning, tool calls and usage. */
export class ReplyCollector {
  private content = '';
  private reasoning = '';
  private readonly toolCalls: ToolCall[] = [];
  /** Whether the model has sent anything of a reply yet. */
  sawAny = false;
  usage: Usage | undefined;

  add(chunk: CompletionChunk): void {
    // Counts are cleaned here, where they enter: a fraction or 1e12 must not reach the INSERT.
    if (chunk.usage) this.usage = toUsage(chunk.usage);
    for (const choice of chunk.choices) {
      // Moji serves one choice; others a provider might send are not the reply.
      if (choice.index !== 0) continue;
      const delta = choice.delta;
      if (!delta) continue;
      if (typeof delta.content === 'string' && delta.content !== '') {
        this.content += delta.content;
        this.sawAny = true;
      }
      if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
        this.reasoning += delta.reasoning_content;
        this.sawAny = true;
      }
      if (delta.tool_calls) this.addToolCalls(delta.tool_calls as ToolCallDelta[]);
    }
  }

  private addToolCalls(deltas: ToolCallDelta[]): void {
    for (const call of deltas) {
      this.sawAny = true;
      const index = call.index ?? this.toolCalls.length;
      // The index picks an array slot: "__proto__" or 1e9 must never be one.
      if (!isToolCallIndex(index)) throw malformedReply();
      const target = (this.toolCalls[index] ??= {
        id: '',
        type: 'function',
        function: { name: '', arguments: '' },
      });
      if (call.id) target.id = call.id;
      if (call.type) target.type = call.type;
      if (call.function?.name) target.function.name += call.function.name;
      if (call.function?.arguments) target.function.arguments += call.function.arguments;
    }
  }

  /** The reply as stored; `incomplete` when the stream ended early. */
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
