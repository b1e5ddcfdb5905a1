import { procedureTable, type ProcedureInfo } from './procedure-table.js';

/** A REST route: a method and a path pattern served by one procedure. */
export interface RestRoute {
  method: string;
  pattern: RegExp;
  procedure: ProcedureInfo;
}

export type RouteMatch =
  | { kind: 'found'; route: RestRoute; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

// Matches paths as trpc-to-openapi does: case-insensitive, trailing slash ignored.
function toPattern(path: string): RegExp {
  const body = path
    .replace(/^\/|\/$/g, '')
    .split('/')
    .map((segment) =>
      segment.replace(/\{(\w+)\}/g, (_, name: string) => `(?<${name}>[^/]+)`).replace(/\./g, '\\.'),
    )
    .join('/');

  return new RegExp(`^/${body}/?$`, 'i');
}

const routes: RestRoute[] = [...procedureTable.values()].flatMap((procedure) => {
  const openapi = procedure.meta.openapi;
  if (!openapi || openapi.enabled === false) return [];

  return [{ method: openapi.method, pattern: toPattern(openapi.path), procedure }];
});

/** Percent-decodes a path segment; text that is not valid percent-encoding stays as it came. */
export function decodePathSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Finds the route for a method and a path below `/api/v1`; HEAD is looked up as GET. */
export function matchRoute(method: string, path: string): RouteMatch {
  const candidates = routes.filter((route) => route.pattern.test(path));
  if (candidates.length === 0) return { kind: 'not-found' };

  const lookup = method === 'HEAD' ? 'GET' : method;
  const route = candidates.find((candidate) => candidate.method === lookup);
  if (!route) {
    const allow = candidates.map((candidate) => candidate.method);
    if (allow.includes('GET')) allow.push('HEAD');

    return { kind: 'method-not-allowed', allow };
  }
  const groups = route.pattern.exec(path)?.groups ?? {};
  const params = Object.fromEntries(
    Object.entries(groups).map(([key, value]) => [key, decodePathSegment(value)]),
  );

  return { kind: 'found', route, params };
}

/**
 * Spells each segment of a URL's path in its plainest %-encoding, so `%30190...` reads
 * `0190...`. trpc-to-openapi hands path parameters to procedures undecoded (its PR #166), and
 * a session id sent percent-encoded must still find the session.
 */
export function normalizePathEncoding(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : url.slice(queryAt);
  const normal = path
    .split('/')
    .map((segment) => encodeURIComponent(decodePathSegment(segment)))
    .join('/');

  return `${normal}${query}`;
}

/** Every REST route, for the OpenAPI document and tests. */
export const restRoutes: readonly RestRoute[] = routes;
