import { errorCodes, type ErrorCode } from '@moji/contracts';
import { z } from 'zod';

const codes = Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]];
const types = [...new Set(Object.values(errorCodes).map((entry) => entry.type))] as [
  string,
  ...string[],
];

/** The envelope of every error, as the document shows it. */
export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      message: z.string().meta({ description: 'What went wrong, safe to show to a person' }),
      type: z.enum(types).meta({ description: "The kind of error, in OpenAI's words" }),
      code: z.enum(codes).meta({ description: "The contract's error code" }),
      details: z.record(z.string(), z.unknown()).meta({
        description: 'Extra facts; `{"issues":[{"path","message"}]}` for validation errors',
      }),
    }),
  })
  .meta({ description: 'The body of every error response' });

// A type, not an interface, so that it fits the OpenAPI types' index signatures.
type HeaderSpec = {
  description: string;
  required?: boolean;
  schema: { type: 'string' | 'integer'; enum?: string[] };
};

const integerHeader = (description: string): HeaderSpec => ({
  description,
  schema: { type: 'integer' },
});

/** Response headers, by name, as `components.headers`. */
export const responseHeaders = {
  'X-Request-ID': {
    description: 'The id of this request: an incoming `X-Request-ID` echoed, or a new UUID',
    required: true,
    schema: { type: 'string' },
  },
  'X-RateLimit-Limit': integerHeader("The caller's requests per hour (while a limit is on)"),
  'X-RateLimit-Remaining': integerHeader('Requests left in the current hour, never negative'),
  'X-RateLimit-Reset': integerHeader('When the hour ends, in Unix epoch seconds'),
  'Retry-After': integerHeader('Seconds to wait before trying again'),
  'x-should-retry': {
    description: '`false` when the wait is longer than a minute, so SDKs do not retry at once',
    schema: { type: 'string', enum: ['false'] },
  },
  'WWW-Authenticate': { description: 'Always `Bearer`', schema: { type: 'string' } },
} satisfies Record<string, HeaderSpec>;

/** What each error status means, for responses whose route gives no description of its own. */
export const errorDescriptions: Readonly<Record<number, string>> = {
  400: 'The request is invalid: bad JSON, wrong types, out-of-range values or unknown fields',
  401: 'The bearer token is missing, malformed, expired or no longer valid',
  403: 'The caller may not call this route',
  404: "The resource does not exist, or is not the caller's",
  409: 'The request conflicts with the current state',
  413: 'The body is too large',
  415: 'The body is not JSON',
  429: 'Too many requests; wait for `Retry-After` seconds',
  500: 'An unexpected error; the message carries no internals',
  502: 'The model provider failed',
  503: 'The database is unavailable',
  504: 'The model provider did not answer in time',
};

/** The error code the contract gives a status. */
export function codeOfStatus(status: number): ErrorCode {
  const code = codes.find((candidate) => errorCodes[candidate].status === status);
  if (!code) throw new Error(`No error code answers with status ${status}`);

  return code;
}
