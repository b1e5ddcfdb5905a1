import { z } from 'zod';

import { textSchema } from '../common.js';
import type { MojiMeta } from '../meta.js';

/** The body of `POST /auth/token`. */
export const tokenInputSchema = z.strictObject({
  // No stored username holds a NUL (nor could PostgreSQL compare one): refuse it as input.
  username: textSchema(1024).min(1),
  password: z.string().max(1024),
});

/** The body of `POST /auth/token`. */
export type TokenInput = z.infer<typeof tokenInputSchema>;

/** A bearer token and how many seconds it lives. */
export const tokenSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
});

/** A bearer token and how many seconds it lives. */
export type Token = z.infer<typeof tokenSchema>;

export const tokenMeta = {
  auth: 'public',
  openapi: {
    method: 'POST',
    path: '/auth/token',
    summary: 'Exchange a username and password for an access token',
    tags: ['auth'],
    errorResponses: {
      401: 'Wrong username or password, or a disabled account',
      429: 'Too many logins from this address, or failed logins for this username',
    },
    protect: false,
  },
} satisfies MojiMeta;
