import { EchoProvider } from './echo-provider.js';
import type { ChatProvider, ModelRegistry, ModelRoute } from './provider.js';

/** The registry while no upstream is configured: `echo` and the default model, both echoed. */
export function createEchoRegistry(defaultModel: string): ModelRegistry {
  const provider: ChatProvider = new EchoProvider();
  const names = [...new Set(['echo', defaultModel])];
  const routes = new Map<string, ModelRoute>(
    names.map((name) => [
      name,
      { name, provider, upstreamId: name, acceptsImages: false, passThrough: false },
    ]),
  );

  return {
    resolve: (name) => routes.get(name),
    list: () => names.map((id) => ({ id, ownedBy: provider.name })),
    description: provider.name,
    close: () => provider.close(),
  };
}
