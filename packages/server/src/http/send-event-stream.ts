import { Readable } from 'node:stream';

import { toMojiError, type CompletionChunk } from '@moji/contracts';
import type { FastifyReply } from 'fastify';

function event(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/**
 * Answers with a completion stream as OpenAI's server-sent events. `start` settles once the
 * model has begun answering: until then a failure is thrown to the caller, which answers
 * with an ordinary JSON error; after it, a failure is one error event and the end.
 */
export async function sendEventStream(
  reply: FastifyReply,
  start: Promise<AsyncIterable<CompletionChunk>>,
): Promise<FastifyReply> {
  const chunks = await start;
  const log = reply.log;

  async function* events(): AsyncGenerator<string> {
    try {
      for await (const chunk of chunks) yield event(chunk);
      yield 'data: [DONE]\n\n';
    } catch (error) {
      const mojiError = toMojiError(error);
      if (mojiError.status >= 500) log.error({ err: error }, 'stream failed');
      yield event(mojiError.toEnvelope());
    }
  }

  return reply
    .code(200)
    .headers({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    })
    .send(Readable.from(events(), { objectMode: false }));
}
