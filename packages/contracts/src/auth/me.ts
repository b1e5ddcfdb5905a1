import type { MojiMeta } from '../meta.js';

export const meMeta = {
  auth: 'user',
  openapi: {
    method: 'GET',
    path: '/auth/me',
    summary: 'Show the signed-in user',
    tags: ['auth'],
  },
} satisfies MojiMeta;
