import { request, type IncomingHttpHeaders } from 'node:http';

/** What a raw HTTP call answered. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** One HTTP request exactly as written: any method, header and body, even on GET. */
export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Sends a request with node:http, which (unlike fetch) sends bodies on GET and leaves the
 * headers as given. An answer that arrives before the body is sent (413) still resolves.
 */
export function rawRequest(origin: string, options: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const headers = { ...options.headers };
    const framed = Object.keys(headers).some((name) =>
      ['content-length', 'transfer-encoding'].includes(name.toLowerCase()),
    );
    // node:http frames a GET or DELETE body only when told its length.
    if (options.body !== undefined && !framed)
      headers['content-length'] = Buffer.byteLength(options.body);
    const req = request(`${origin}${options.path}`, { method: options.method, headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) });
      });
    });
    // The server may answer and close before the whole body is written: that is not a failure.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(options.body);
  });
}
