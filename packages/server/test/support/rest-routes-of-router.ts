import { appRouter, type MojiMeta } from '@moji/contracts';

/** A REST route as the router declares it, read straight from the procedures' meta. */
export interface DeclaredRoute {
  procedure: string;
  method: string;
  path: string;
  meta: MojiMeta;
  hasInput: boolean;
}

type ProcedureInternals = { _def: { meta?: MojiMeta; inputs: unknown[] } };

/** Every REST route of the router, so that tests cover routes added later without edits. */
export function restRoutesOfRouter(): DeclaredRoute[] {
  const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureInternals>;

  return Object.entries(procedures).flatMap(([procedure, { _def }]) => {
    const openapi = _def.meta?.openapi;
    if (!_def.meta || !openapi || openapi.enabled === false) return [];

    return [
      {
        procedure,
        method: openapi.method,
        path: openapi.path,
        meta: _def.meta,
        hasInput: _def.inputs.length > 0,
      },
    ];
  });
}
