import { z } from 'zod';

import { listSchema, pageQueryShape } from '../common.js';
import type { MojiMeta } from '../meta.js';
import { adminUserSchema } from './admin-user.js';

/** The query of `GET /admin/users`: `limit` and `after` (a user id). */
export const listUsersInputSchema = z.strictObject(pageQueryShape).optional();

/** The query of `GET /admin/users`. */
export type ListUsersInput = z.infer<typeof listUsersInputSchema>;

/** A page of users, oldest account first. */
export const adminUserListSchema = listSchema(adminUserSchema);

export const listUsersMeta = {
  auth: 'admin',
  openapi: {
    method: 'GET',
    path: '/admin/users',
    summary: 'List every user, oldest account first (admins only)',
    tags: ['admin'],
  },
} satisfies MojiMeta;
