import type { List, Model } from '@moji/contracts';

import type { ServiceDeps } from '../deps.js';

/** Every model name this server serves. */
export function listModels(deps: ServiceDeps): Promise<List<Model>> {
  const data = deps.models
    .list()
    .map(({ id, ownedBy }) => ({ id, object: 'model' as const, owned_by: ownedBy }));

  return Promise.resolve({ object: 'list', data, has_more: false });
}
