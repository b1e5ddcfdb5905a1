import { MojiError, type CompletionRequest, type Context } from '@moji/contracts';
import type { FastifyReply } from 'fastify';

import { sendEventStream } from './send-event-stream.js';

/**
 * Answers `POST /chat/completions` once the request is authenticated, charged and validated:
 * a stream as server-sent events, otherwise the `chat.completion` as JSON. This is the hot
 * path of a gateway, so it calls the service straight away instead of handing the checked
 * input to the REST adapter, which would build a Fetch request and parse it all again.
 */
export async function serveCompletion(
  context: Context,
  input: CompletionRequest,
  reply: FastifyReply,
  keepAliveMs: number,
): Promise<FastifyReply> {
  const caller = context.auth.caller;
  if (!caller) throw new MojiError('AUTH_FAILED', 'Missing bearer token');
  const chat = context.services.chat;

  if (input.stream === true) {
    // The service resolves once the upstream has answered, so that errors until then are JSON.
    return sendEventStream(
      reply,
      chat.streamCompletion(caller, input, context.request),
      keepAliveMs,
    );
  }
  const completion = await chat.createCompletion(caller, input, context.request);

  return reply
    .code(200)
    .headers(context.response.headers)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(completion));
}
