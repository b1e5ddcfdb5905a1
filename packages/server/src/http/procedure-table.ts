import { appRouter, type Access, type MojiMeta } from '@moji/contracts';
import type { z } from 'zod';

/** What the server needs to know of one procedure. */
export interface ProcedureInfo {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  meta: MojiMeta;
  input: z.ZodType | undefined;
}

interface ProcedureInternals {
  _def: { type: ProcedureInfo['type']; meta?: MojiMeta; inputs: z.ZodType[] };
}

// tRPC keeps a router's procedures, their meta and their input parsers under `_def`; this is
// the one place that reads them.
const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureInternals>;

/** Every procedure of the API by its path (`chat.createCompletion`). */
export const procedureTable: ReadonlyMap<string, ProcedureInfo> = new Map(
  Object.entries(procedures).map(([path, procedure]) => [
    path,
    {
      path,
      type: procedure._def.type,
      meta: procedure._def.meta ?? { auth: 'public' },
      input: procedure._def.inputs[0],
    },
  ]),
);

/** Who may call a procedure; unknown paths count as public (tRPC answers 404 for them). */
export function accessOf(path: string): Access {
  return procedureTable.get(path)?.meta.auth ?? 'public';
}
