/** Moji's typed TypeScript client, built on tRPC and typed by the server's own routers. */
export {
  createMojiClient,
  type MojiClient,
  type MojiClientExtras,
  type MojiClientOptions,
  type StreamCompletionChunk,
  type StreamCompletionInput,
} from './create-moji-client.js';
export {
  MojiClientError,
  toMojiClientError,
  type MojiClientErrorCode,
} from './moji-client-error.js';
export { mojiErrorLink } from './moji-error-link.js';
/** The type of the API's router, for tRPC tooling. */
export type { AppRouter } from '@moji/contracts';
/** The API's own types, for values a client sends and receives. */
export type {
  Completion,
  CompletionChunk,
  CompletionRequest,
  ErrorCode,
  ErrorDetails,
  ErrorType,
  Message,
  Model,
  Session,
  StoredMessage,
  Token,
  User,
} from '@moji/contracts/schemas';
