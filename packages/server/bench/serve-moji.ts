import type { AddressInfo } from 'node:net';

import { buildServer, loadConfig } from '../dist/index.js';

// Moji as a child process of the benchmark: it reports its port, then its CPU time on request.
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
