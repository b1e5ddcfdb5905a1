import type { List } from './common.js';
import type { AdminUser, UserIdInput } from './admin/admin-user.js';
import type { UsageInput, UserUsage } from './admin/get-usage.js';
import type { ListUsersInput } from './admin/list-users.js';
import type { UpdateUserInput } from './admin/update-user.js';
import type { Role, User } from './auth/user.js';
import type { RegisterInput } from './auth/register.js';
import type { Token, TokenInput } from './auth/token.js';
import type { CompletionRequest, Completion, CompletionChunk } from './chat/create-completion.js';
import type { Health } from './health/get-health.js';
import type { Model } from './models/list-models.js';
import type {
  CreateSessionInput,
  ListMessagesInput,
  ListSessionsInput,
  Session,
  SessionIdInput,
  StoredMessage,
} from './sessions/session.js';

/** The signed-in caller of a request. */
export interface Caller {
  id: string;
  username: string;
  role: Role;
}

/** Facts about the request that services may need. */
export interface RequestInfo {
  requestId: string;
  clientIp: string;
  signal: AbortSignal;
}

/**
 * The seam between the routers and the server: every resolver is one call into these.
 * The server implements them with its database, limiter and model providers.
 */
export interface Services {
  health: {
    check(): Promise<{ health: Health; httpStatus: 200 | 503 }>;
  };
  auth: {
    register(input: RegisterInput, request: RequestInfo): Promise<User>;
    issueToken(input: TokenInput, request: RequestInfo): Promise<Token>;
    getUser(caller: Caller): Promise<User>;
  };
  models: {
    list(): Promise<List<Model>>;
  };
  chat: {
    createCompletion(
      caller: Caller,
      input: CompletionRequest,
      request: RequestInfo,
    ): Promise<Completion>;
    /** Starts a stream; resolves once the model has begun answering. */
    streamCompletion(
      caller: Caller,
      input: CompletionRequest,
      request: RequestInfo,
    ): Promise<AsyncIterable<CompletionChunk>>;
  };
  sessions: {
    create(caller: Caller, input: CreateSessionInput): Promise<Session>;
    list(caller: Caller, input: ListSessionsInput): Promise<List<Session>>;
    listMessages(caller: Caller, input: ListMessagesInput): Promise<List<StoredMessage>>;
    delete(caller: Caller, input: SessionIdInput): Promise<void>;
  };
  admin: {
    listUsers(input: ListUsersInput): Promise<List<AdminUser>>;
    /** Changes another user; 409 for the caller's own role or flag, or the last admin. */
    updateUser(caller: Caller, input: UpdateUserInput): Promise<AdminUser>;
    /** Deletes another user and their sessions; their usage rows stay. */
    deleteUser(caller: Caller, input: UserIdInput): Promise<void>;
    getUsage(input: UsageInput): Promise<List<UserUsage>>;
  };
}
