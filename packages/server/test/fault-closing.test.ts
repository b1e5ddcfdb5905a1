import { connect } from 'node:net';

import { describe, expect, it } from 'vitest';

import { startMoji } from './support/moji.js';
import { createUser } from './support/users.js';

/** Reads everything a socket receives until the server closes it. */
function readAll(socket: ReturnType<typeof connect>): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('a request that arrives while the server is stopping', () => {
  it('is answered 503 in the envelope, after the request in flight is served', async () => {
    const moji = await startMoji();
    const user = await createUser(moji.api);
    const { port } = new URL(moji.origin);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const received = readAll(socket);

    const body = JSON.stringify({ initial_message: 'sent while stopping' });
    const half = Math.floor(body.length / 2);
    socket.write(
      [
        'POST /api/v1/chat/sessions HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: ${user.headers['authorization']}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body.slice(0, half),
      ].join('\r\n'),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));

    const closed = moji.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The rest of the first body, and a second request pipelined on the same connection.
    socket.write(`${body.slice(half)}GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const text = await received;
    await closed;

    const answers = text.split(/(?=HTTP\/1\.1 )/);
    expect(answers[0], text).toMatch(/^HTTP\/1\.1 201/);
    expect(answers[1], text).toMatch(/^HTTP\/1\.1 503/);
    expect(answers[1]).toMatch(/x-request-id: \S+/i);
    expect(answers[1]).toMatch(/connection: close/i);
    const envelope = JSON.parse(answers[1]?.split('\r\n\r\n')[1] ?? '') as unknown;
    expect(envelope).toMatchObject({
      error: { code: 'SERVICE_UNAVAILABLE', type: 'api_error', details: {} },
    });
  }, 60_000);
});
