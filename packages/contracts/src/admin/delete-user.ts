import type { MojiMeta } from '../meta.js';

export const deleteUserMeta = {
  auth: 'admin',
  successStatus: 204,
  openapi: {
    method: 'DELETE',
    path: '/admin/users/{id}',
    summary: 'Delete a user and their sessions; their usage is kept (admins only)',
    tags: ['admin'],
    errorResponses: { 409: 'Deletes the acting admin themselves, or the last admin' },
  },
} satisfies MojiMeta;
