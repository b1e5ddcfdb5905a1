import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// An OpenAI-compatible server that answers at once, so that a benchmark measures the hop.
const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'bench',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'Hello there!' }, finish_reason: 'stop' },
  ],
  usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
});

function chunk(delta: object, finish: string | null, usage?: object): string {
  const body = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'bench',
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  };

  return `data: ${JSON.stringify(body)}\n\n`;
}

const stream = [
  chunk({ role: 'assistant', content: 'Hello' }, null),
  chunk({ content: ' there!' }, null),
  chunk({}, 'stop'),
  chunk({}, null, { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 }),
  'data: [DONE]\n\n',
];

const server = createServer((request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    const isStream = Buffer.concat(parts).includes('"stream":true');
    if (!isStream) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(completion);

      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    // The first event goes out at once; the rest a moment later, as a model would.
    response.write(stream[0]);
    setImmediate(() => response.end(stream.slice(1).join('')));
  });
});
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ port });
});
process.on('disconnect', () => process.exit(0));
