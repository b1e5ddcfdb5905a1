import { fork, type ChildProcess } from 'node:child_process';

/** A process the benchmark started, with the port it listens on. */
export interface Child {
  process: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Forks a TypeScript script (through tsx) and waits for it to report its port. */
export function startChild(
  script: URL,
  env: Record<string, string>,
  nodeOptions: string[] = [],
): Promise<Child> {
  const child = fork(script, {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx', ...nodeOptions],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });

  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script.pathname} exited with ${code}`)));
    child.on('message', (message: { port?: number }) => {
      if (message.port === undefined) return;
      resolve({
        process: child,
        port: message.port,
        stop: () =>
          new Promise<void>((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.disconnect();
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
  });
}

/** The CPU time a child has used so far, in microseconds (user + system). */
export function cpuMicros(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: { cpu?: NodeJS.CpuUsage }) => {
      if (!message.cpu) return;
      child.off('message', onMessage);
      resolve(message.cpu.user + message.cpu.system);
    };
    child.on('message', onMessage);
    child.send({ type: 'cpu' });
  });
}
