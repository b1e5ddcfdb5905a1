import { z } from 'zod';

import { listSchema } from '../common.js';
import type { MojiMeta } from '../meta.js';

/** A model that the server serves. */
export const modelSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  owned_by: z.string(),
});

/** A model that the server serves. */
export type Model = z.infer<typeof modelSchema>;

/** What `GET /models` answers: one page of every served model. */
export const modelListSchema = listSchema(modelSchema);

export const listModelsMeta = {
  auth: 'user',
  openapi: {
    method: 'GET',
    path: '/models',
    summary: 'List the models this server serves',
    tags: ['models'],
  },
} satisfies MojiMeta;
