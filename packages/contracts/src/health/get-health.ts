import { z } from 'zod';

import type { MojiMeta } from '../meta.js';

const serviceStateSchema = z.enum(['healthy', 'unhealthy', 'disabled']);

/** What `GET /health` answers, with 200 or, when the database is down, 503. */
export const healthSchema = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  timestamp: z.iso.datetime(),
  version: z.string(),
  services: z.object({
    database: serviceStateSchema,
    redis: serviceStateSchema,
    model: z.string(),
  }),
});

/** The server's health. */
export type Health = z.infer<typeof healthSchema>;

export const getHealthMeta = {
  auth: 'public',
  openapi: {
    method: 'GET',
    path: '/health',
    summary: 'Report the health of the server and its services',
    tags: ['health'],
    protect: false,
  },
} satisfies MojiMeta;
