import { randomInt } from 'node:crypto';
import { request } from 'node:http';

import { afterAll, describe, expect, it } from 'vitest';

import { startMoji, type RunningMoji } from './support/moji.js';
import { uniqueName } from './support/users.js';

// Every test speaks from a loopback address of its own (all of 127.0.0.0/8 reaches the
// server), so that counters kept in a shared Redis by other tests and runs stay apart.
function freshLoopback(): string {
  return `127.${randomInt(1, 255)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

function clientAt(localAddress: string) {
  return (url: string, body: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(
        url,
        {
          method: 'POST',
          localAddress,
          headers: { 'content-type': 'application/json', ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

function registration() {
  const username = uniqueName('addr');

  return { username, password: 'password123', email: `${username}@example.com` };
}

const servers: RunningMoji[] = [];

async function start(env: Record<string, string>): Promise<RunningMoji> {
  const moji = await startMoji({ AUTH_LIMIT_PER_MINUTE: '3', ...env });
  servers.push(moji);

  return moji;
}

afterAll(async () => {
  await Promise.all(servers.map((moji) => moji.close()));
});

describe('the per-address limit of /auth/token and /auth/register', () => {
  it('counts the connecting address and ignores X-Forwarded-For without TRUST_PROXY', async () => {
    const moji = await start({});
    const post = clientAt(freshLoopback());
    const statuses: number[] = [];
    for (let call = 0; call < 5; call += 1) {
      const forged = { 'x-forwarded-for': `10.9.${call}.1` };
      statuses.push((await post(`${moji.api}/auth/register`, registration(), forged)).status);
    }

    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    const elsewhere = await clientAt(freshLoopback())(`${moji.api}/auth/register`, registration());
    expect(elsewhere.status, elsewhere.text).toBe(201);
  });

  it('with TRUST_PROXY, counts the address the proxy saw, not what the client claimed', async () => {
    const moji = await start({ TRUST_PROXY: 'true' });
    // One reverse proxy in front: it appends the address it saw to whatever the client sent.
    const proxy = clientAt(freshLoopback());
    const client = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
    const statuses: number[] = [];
    for (let call = 0; call < 5; call += 1) {
      const header = { 'x-forwarded-for': `192.0.2.${call + 1}, ${client}` };
      statuses.push(
        (await proxy(`${moji.api}/auth/token`, { username: 'nobody', password: 'x' }, header))
          .status,
      );
    }

    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const neighbour = await proxy(
      `${moji.api}/auth/token`,
      { username: 'nobody', password: 'x' },
      {
        'x-forwarded-for': `10.0.0.${randomInt(1, 255)}`,
      },
    );
    expect(neighbour.status, neighbour.text).toBe(401);
  });

  it('with TRUST_PROXY, falls back to the connecting address without the header', async () => {
    const moji = await start({ TRUST_PROXY: 'true' });
    const post = clientAt(freshLoopback());
    const statuses: number[] = [];
    for (let call = 0; call < 4; call += 1) {
      statuses.push((await post(`${moji.api}/auth/register`, registration())).status);
    }

    expect(statuses).toEqual([201, 201, 201, 429]);
  });
});
