import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OpenAI-compatible upstream that answers as slowly as a test asks. */
export interface SlowUpstream {
  /** The value for LLM_BASE_URL. */
  baseUrl: string;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts an upstream on a free port. The last message's content says how to answer:
 * `slow:<chunks>:<ms>` streams that many chunks (`w0 w1 ...`), one every `ms`; without
 * `stream`, the whole answer comes after `chunks * ms`.
 */
export async function startSlowUpstream(): Promise<SlowUpstream> {
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      void answer(JSON.parse(raw) as UpstreamBody, res);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface UpstreamBody {
  model: string;
  stream?: boolean;
  messages: { content: string }[];
}

async function answer(body: UpstreamBody, res: ServerResponse) {
  const [, count = '3', delay = '10'] = (body.messages.at(-1)?.content ?? '').split(':');
  const chunks = Array.from({ length: Number(count) }, (_, index) => `w${index} `);
  const base = { id: 'chatcmpl-slow', created: Math.floor(Date.now() / 1000), model: body.model };
  const usage = {
    prompt_tokens: 1,
    completion_tokens: chunks.length,
    total_tokens: chunks.length + 1,
  };

  if (!body.stream) {
    await sleep(chunks.length * Number(delay));
    const message = { role: 'assistant', content: chunks.join('') };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message, finish_reason: 'stop' }],
        usage,
      }),
    );

    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (delta: object, finish: string | null) => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  send(chunk({ role: 'assistant', content: '' }, null));
  for (const text of chunks) {
    if (res.destroyed) return;
    await sleep(Number(delay));
    send(chunk({ content: text }, null));
  }
  send(chunk({}, 'stop'));
  send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
  res.end('data: [DONE]\n\n');
}
