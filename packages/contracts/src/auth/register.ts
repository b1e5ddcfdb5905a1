import { z } from 'zod';

import type { MojiMeta } from '../meta.js';
import { emailSchema, usernameSchema } from './user.js';

/** The body of `POST /auth/register`. */
export const registerInputSchema = z.strictObject({
  username: usernameSchema,
  password: z.string().min(8).max(1024),
  email: emailSchema,
});

/** The body of `POST /auth/register`. */
export type RegisterInput = z.infer<typeof registerInputSchema>;

export const registerMeta = {
  auth: 'public',
  successStatus: 201,
  openapi: {
    method: 'POST',
    path: '/auth/register',
    summary: 'Create an account',
    tags: ['auth'],
    errorResponses: {
      409: 'The username or e-mail is taken, in any letter case',
      429: 'Too many sign-ups and logins from this address',
    },
    protect: false,
  },
} satisfies MojiMeta;
