import type { Caller, Completion, CompletionRequest, RequestInfo } from '@moji/contracts';

import type { ServiceDeps } from '../deps.js';
import { prepareCompletion } from './prepare-completion.js';
import { isEmptyReply, storeTurn, type Reply } from './record-turn.js';

/** Answers a chat completion and, with a session, stores the turn. */
export async function createCompletion(
  deps: ServiceDeps,
  caller: Caller,
  input: CompletionRequest,
  request: RequestInfo,
): Promise<Completion> {
  const prepared = await prepareCompletion(deps, caller, input);
  const completion = await prepared.route.provider.complete(prepared.upstream, {
    signal: request.signal,
    modelName: prepared.modelName,
    passThrough: prepared.route.passThrough,
  });
  const recorded = deps.usage.record(caller, prepared.modelName, completion.usage);

  const message = completion.choices[0]?.message;
  const reply: Reply = {
    content: message?.content ?? null,
    reasoning_content: message?.reasoning_content,
    tool_calls: message?.tool_calls,
  };
  if (prepared.session && !isEmptyReply(reply)) {
    await Promise.all([
      recorded,
      storeTurn(
        deps,
        prepared.session.id,
        prepared.modelName,
        prepared.newMessages,
        reply,
        prepared.storedCount,
      ),
    ]);
  } else {
    await recorded;
  }

  return { ...completion, model: prepared.modelName };
}
