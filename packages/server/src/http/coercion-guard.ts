import type { z } from 'zod';

import { procedureTable } from './procedure-table.js';

type Node = { _zod: { def: Record<string, unknown> & { type: string } } } & Record<string, unknown>;

const coercible = new Set(['number', 'boolean', 'bigint', 'date']);
const wrappers = new Set(['optional', 'nullable', 'default', 'prefault', 'array']);

function unwrap(node: Node): Node {
  let current = node;
  while (wrappers.has(current._zod.def.type)) {
    const def = current._zod.def;
    current = (def['innerType'] ?? def['element']) as Node;
  }

  return current;
}

function seal(node: Node): void {
  const target = unwrap(node);
  const def = target._zod.def;
  if (coercible.has(def.type)) {
    if (Object.getOwnPropertyDescriptor(def, 'coerce')?.get) return;
    Object.defineProperty(def, 'coerce', { get: () => false, set: () => {}, configurable: false });
  } else if (def.type === 'object') {
    for (const child of Object.values(def['shape'] as Record<string, Node>)) seal(child);
  }
}

/**
 * trpc-to-openapi 3.3 switches on zod's `coerce` for the number and boolean fields of every
 * input it serves, on the shared schemas themselves; after one REST call, `/trpc` would then
 * take `"stream": "false"` as true. Sealing the flag keeps every door strict. REST inputs are
 * converted where the contract says (`limit` in a query) before the adapter sees them.
 */
export function sealInputSchemasAgainstCoercion(): void {
  for (const procedure of procedureTable.values()) {
    if (procedure.input) seal(unwrap(procedure.input as unknown as Node));
  }
}

/** For tests: whether a schema would coerce. */
export function isCoercing(schema: z.ZodType): boolean {
  return Boolean((schema as unknown as Node)._zod.def['coerce']);
}
