import { errorCodes } from '@moji/contracts';

import { codeOfStatus, errorDescriptions, type responseHeaders } from './openapi-schemas.js';
import type { RestRoute } from './rest-routes.js';

type HeaderName = keyof typeof responseHeaders;

/** A response as the document holds it. */
export interface ResponseObject {
  description: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema: unknown; example?: unknown }>;
}

const bodyMethods = new Set(['POST', 'PATCH', 'PUT']);

/** Whether a route needs a signed-in caller. */
export function isProtected(route: RestRoute): boolean {
  return route.procedure.meta.auth !== 'public';
}

/** The error statuses a route's procedure meta names, with their descriptions. */
function declaredErrors(route: RestRoute): Record<number, string | undefined> {
  const declared = route.procedure.meta.openapi?.errorResponses ?? [];
  if (Array.isArray(declared))
    return Object.fromEntries(declared.map((status) => [status, undefined]));

  return declared;
}

/**
 * The error statuses a route can answer with: those every route of its kind can meet (a
 * protected route 401 and 429, a route with input 400, ...) and those its meta declares.
 */
export function errorStatusesOf(route: RestRoute): Map<number, string> {
  const { meta, input, path } = route.procedure;
  const statuses = new Set<number>([500]);
  if (input || bodyMethods.has(route.method)) statuses.add(400);
  if (bodyMethods.has(route.method)) [413, 415].forEach((status) => statuses.add(status));
  if (isProtected(route)) [401, 429].forEach((status) => statuses.add(status));
  if (meta.auth === 'admin') statuses.add(403);
  if (/\{\w+\}/.test(meta.openapi?.path ?? '')) statuses.add(404);
  // `/health` works without the database and answers its own body with 503.
  if (path !== 'health.get') statuses.add(503);

  const declared = declaredErrors(route);
  for (const status of Object.keys(declared)) statuses.add(Number(status));

  return new Map(
    [...statuses]
      .sort((a, b) => a - b)
      .map((status) => [status, declared[status] ?? errorDescriptions[status] ?? 'An error']),
  );
}

function headerRefs(names: HeaderName[]): Record<string, { $ref: string }> {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}

/** The headers a route's responses with this status carry. */
export function headersOf(route: RestRoute, status: number): Record<string, { $ref: string }> {
  const names: HeaderName[] = ['X-Request-ID'];
  if (isProtected(route))
    names.push('X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset');
  if (status === 401) names.push('WWW-Authenticate');
  if (status === 429) names.push('Retry-After', 'x-should-retry');

  return headerRefs(names);
}

/** An error response: the envelope, with an example carrying the status's code. */
export function errorResponse(
  route: RestRoute,
  status: number,
  description: string,
): ResponseObject {
  const code = codeOfStatus(status);

  return {
    description,
    headers: headersOf(route, status),
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/Error' },
        example: {
          error: { message: description, type: errorCodes[code].type, code, details: {} },
        },
      },
    },
  };
}
