import { MojiError } from '@moji/contracts';
import scalarApiReference from '@scalar/fastify-api-reference';
import type { FastifyInstance } from 'fastify';

import { createOpenApiDocument } from './openapi-document.js';
import { REST_PREFIX } from './rest-api.js';
import { sendError } from './send-error.js';

/** Where the OpenAPI document is served. */
export const OPENAPI_PATH = `${REST_PREFIX}/openapi.json`;

/** Where the interactive API docs are served. */
export const DOCS_PATH = '/docs';

// The routers are fixed for the life of the process, so one document serves every app.
const documents = new Map<string, string>();

function openApiJson(version: string): string {
  let json = documents.get(version);
  if (json === undefined) {
    json = JSON.stringify(createOpenApiDocument(version));
    documents.set(version, json);
  }

  return json;
}

// Scalar serves its page at `/docs/` (redirecting `/docs`) and its script beside it.
const docsPaths = [DOCS_PATH, `${DOCS_PATH}/`, `${DOCS_PATH}/js/scalar.js`];

// These paths are read-only: other methods get 405 like the REST routes. Fastify answers
// HEAD for every GET route by itself.
function rejectOtherMethods(app: FastifyInstance, url: string): void {
  app.route({
    method: ['DELETE', 'OPTIONS', 'PATCH', 'POST', 'PUT'],
    url,
    handler: (request, reply) =>
      sendError(
        reply,
        new MojiError('METHOD_NOT_ALLOWED', `Method ${request.method} is not allowed here`, {
          details: { allow: ['GET', 'HEAD'] },
          headers: { Allow: 'GET, HEAD' },
        }),
      ),
  });
}

/**
 * Serves the OpenAPI document at `/api/v1/openapi.json` and Scalar's API reference for it at
 * `/docs`. Both are plain routes outside the REST scope: Fastify matches these static paths
 * before the REST wildcard, so the REST 404 never sees them. The page loads its script and
 * styles from Moji alone: no CDN, no web fonts, no AI agent, no request proxy.
 */
export async function registerDocsRoutes(app: FastifyInstance, version: string): Promise<void> {
  const document = openApiJson(version);

  app.get(OPENAPI_PATH, (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(document),
  );
  rejectOtherMethods(app, OPENAPI_PATH);

  await app.register(scalarApiReference, {
    routePrefix: DOCS_PATH,
    logLevel: 'warn',
    // The plugin also serves the document under the page's own path, but only for a document
    // it was handed whole; ours lives at OPENAPI_PATH, so those two addresses point there.
    hooks: {
      onRequest: (request, reply, done) => {
        const path = request.url.split('?', 1)[0] ?? '';
        if (path === `${DOCS_PATH}/openapi.json`) {
          void reply.redirect(OPENAPI_PATH, 301);
        } else if (path === `${DOCS_PATH}/openapi.yaml`) {
          void sendError(reply, new MojiError('NOT_FOUND', 'The document is served as JSON only'));
        } else {
          done();
        }
      },
    },
    configuration: {
      url: OPENAPI_PATH,
      pageTitle: 'Moji API reference',
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
      showDeveloperTools: 'never',
      defaultOpenAllTags: true,
      documentDownloadType: 'json',
      authentication: { preferredSecurityScheme: 'bearerAuth' },
    },
  });
  for (const url of docsPaths) rejectOtherMethods(app, url);
}
