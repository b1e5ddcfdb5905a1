import {
  completionRequestShape,
  MojiError,
  validationError,
  type Caller,
  type CompletionRequest,
} from '@moji/contracts';

import type { SessionRow } from '../../db/schema.js';
import type { ModelRoute, UpstreamRequest } from '../../providers/provider.js';
import type { ServiceDeps } from '../deps.js';
import { findOwnSession } from '../sessions/find-session.js';
import { loadTranscript, toUpstreamMessage } from './transcript.js';

const openAiFields = new Set(Object.keys(completionRequestShape));
// Moji's own fields, and those the transport decides, are never forwarded as sent.
const notForwarded = new Set(['session_id', 'model', 'messages', 'stream', 'stream_options']);

/** A checked completion request, ready to send upstream. */
export interface PreparedCompletion {
  /** The model name the client asked for; responses carry it. */
  modelName: string;
  route: ModelRoute;
  session: SessionRow | undefined;
  /** The request's own messages: stored with the reply. */
  newMessages: CompletionRequest['messages'];
  /** How many messages the session held when the request was prepared. */
  storedCount: number;
  upstream: UpstreamRequest;
}

function invalid(path: string, message: string): MojiError {
  return validationError([{ path: [path], message }]);
}

function checkFields(input: CompletionRequest, extraFields: ReadonlySet<string>): void {
  for (const key of Object.keys(input)) {
    if (!openAiFields.has(key) && !extraFields.has(key)) {
      throw invalid(key, `Unrecognized field "${key}"`);
    }
  }
  if (input.n !== undefined && input.n !== null && input.n !== 1) {
    throw invalid('n', 'Only one choice (n: 1) is supported');
  }
  if ((input.audio !== undefined && input.audio !== null) || input.modalities?.includes('audio')) {
    throw invalid(input.audio ? 'audio' : 'modalities', 'Audio output is not supported');
  }
  if (input.max_tokens != null && input.max_completion_tokens != null) {
    throw invalid(
      'max_completion_tokens',
      'Send either max_tokens or max_completion_tokens, not both',
    );
  }
  if (input.stream_options != null && input.stream !== true) {
    throw invalid('stream_options', 'stream_options is only allowed with "stream": true');
  }
}

function checkImages(input: CompletionRequest, route: ModelRoute): void {
  if (route.acceptsImages) return;
  input.messages.forEach((message, index) => {
    if (message.role !== 'user' || typeof message.content === 'string') return;
    const part = message.content.findIndex((item) => item.type === 'image_url');
    if (part >= 0) {
      throw validationError([
        {
          path: ['messages', index, 'content', part],
          message: `Model "${route.name}" does not accept images`,
        },
      ]);
    }
  });
}

type RequestMessage = CompletionRequest['messages'][number];

/**
 * A message of the request as it goes upstream: DeepSeek refuses its own reasoning in the
 * history, except on assistant turns with tool calls, where its thinking mode requires it.
 */
function toUpstreamRequestMessage(message: RequestMessage): RequestMessage {
  if (message.role !== 'assistant' || message.reasoning_content == null) return message;
  if (message.tool_calls && message.tool_calls.length > 0) return message;
  const withoutReasoning = { ...message };
  delete withoutReasoning.reasoning_content;

  return withoutReasoning;
}

function forwardedFields(input: CompletionRequest): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    // Moji adds no sampling defaults: an absent or null field is not sent.
    if (notForwarded.has(key) || value === undefined || value === null) continue;
    fields[key] = value;
  }

  return fields;
}

/** Checks a completion request against its model and session and builds the upstream request. */
export async function prepareCompletion(
  deps: ServiceDeps,
  caller: Caller,
  input: CompletionRequest,
): Promise<PreparedCompletion> {
  const modelName = input.model ?? deps.config.defaultModel;
  const route = deps.models.resolve(modelName);
  checkFields(input, route?.provider.extraFields ?? new Set());
  if (!route) {
    throw new MojiError('NOT_FOUND', `Model "${modelName}" not found`, {
      details: { param: 'model' },
    });
  }
  checkImages(input, route);

  const db = deps.database.db;
  const session =
    input.session_id === undefined
      ? undefined
      : await findOwnSession(db, caller.id, input.session_id);
  const history = session ? await loadTranscript(db, session.id) : [];

  if (input.messages.length === 0) {
    const last = history.at(-1);
    if (!session || !last || last.role !== 'user') {
      throw invalid(
        'messages',
        session
          ? 'messages may be empty only when the session ends with an unanswered user message'
          : 'messages must not be empty',
      );
    }
  }

  return {
    modelName,
    route,
    session,
    newMessages: input.messages,
    storedCount: history.length,
    upstream: {
      ...forwardedFields(input),
      model: route.upstreamId,
      messages: [
        ...history.map(toUpstreamMessage),
        ...input.messages.map(toUpstreamRequestMessage),
      ],
    },
  };
}
