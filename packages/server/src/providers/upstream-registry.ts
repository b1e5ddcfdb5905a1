import type { ModelEntry } from './models-config.js';
import type { ChatProvider, ModelRegistry, ModelRoute } from './provider.js';

/** The upstreams and the model table a registry serves. */
export interface UpstreamRegistryOptions {
  /** The table's rows, each served by the provider it names. */
  models: ModelEntry[];
  providers: ReadonlyMap<string, ChatProvider>;
  /** `LLM_BASE_URL`'s provider: it takes every name the table does not hold, unchanged. */
  passThrough: ChatProvider | undefined;
  defaultModel: string;
}

/**
 * The registry once an upstream is configured. A name in the table goes to its provider
 * under the provider's own id; any other name goes to `LLM_BASE_URL` as it is, or is unknown.
 */
export function createUpstreamRegistry(options: UpstreamRegistryOptions): ModelRegistry {
  const { providers, passThrough, defaultModel } = options;
  const routes = new Map<string, ModelRoute>();
  for (const entry of options.models) {
    const provider = providers.get(entry.provider);
    if (!provider) continue;
    routes.set(entry.name, {
      name: entry.name,
      provider,
      upstreamId: entry.upstreamId,
      acceptsImages: entry.acceptsImages,
      passThrough: false,
    });
  }

  function resolve(name: string): ModelRoute | undefined {
    const route = routes.get(name);
    if (route || !passThrough) return route;

    // The upstream decides what it takes, images included; its 404 answers for the name.
    return {
      name,
      provider: passThrough,
      upstreamId: name,
      acceptsImages: true,
      passThrough: true,
    };
  }

  const served = [...routes.keys()];
  if (!routes.has(defaultModel) && passThrough) served.push(defaultModel);
  const everyProvider = [
    ...new Set([...providers.values(), ...(passThrough ? [passThrough] : [])]),
  ];

  return {
    resolve,
    list: () => served.map((id) => ({ id, ownedBy: (resolve(id) as ModelRoute).provider.name })),
    description: everyProvider.map((provider) => provider.name).join(', '),
    async close() {
      await Promise.all(everyProvider.map((provider) => provider.close()));
    },
  };
}
