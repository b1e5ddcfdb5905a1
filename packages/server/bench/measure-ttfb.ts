import { Agent, request } from 'node:http';

/** Latencies in milliseconds, summarised. */
export interface Spread {
  p50: number;
  p99: number;
}

function spread(samples: number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

  return { p50: at(0.5), p99: at(0.99) };
}

function firstByte(agent: Agent, url: URL, headers: Record<string, string>, body: string) {
  return new Promise<number>((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      let measured: number | undefined;
      res.on('data', () => {
        measured ??= Number(process.hrtime.bigint() - started) / 1e6;
      });
      res.on('end', () => {
        if (res.statusCode !== 200 || measured === undefined)
          reject(new Error(`status ${res.statusCode}`));
        else resolve(measured);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Time to the first byte of a streamed body, one request at a time over a kept-alive
 * connection, for two targets taken in turn so that both see the same machine load.
 */
export async function measureTtfb(
  targets: { url: string; headers: Record<string, string> }[],
  body: string,
  count: number,
): Promise<Spread[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[][] = targets.map(() => []);
  for (let round = 0; round < count; round += 1) {
    for (const [index, target] of targets.entries()) {
      const headers = { 'content-type': 'application/json', ...target.headers };
      samples[index]?.push(await firstByte(agent, new URL(target.url), headers, body));
    }
  }
  agent.destroy();

  return samples.map(spread);
}
