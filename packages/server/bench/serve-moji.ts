import type { AddressInfo } from 'node:net';

import type * as ServerModule from '../src/index.js';

// Moji as a child process of the benchmark, from its build (`pnpm bench` builds it first):
// it reports its port, then its CPU time on request.
const build = new URL('../dist/index.js', import.meta.url).href;
const { buildServer, loadConfig } = (await import(build)) as typeof ServerModule;
const config = loadConfig();
const server = await buildServer(config);
await server.app.listen({ port: 0, host: '127.0.0.1' });
await server.database.ensureReady();
const { port } = server.app.server.address() as AddressInfo;
process.send?.({ port });

process.on('message', (message: { type?: string }) => {
  if (message.type === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => {
  void server.app.close().then(() => process.exit(0));
});
