import type { Services } from '@moji/contracts';

import { deleteUser } from './admin/delete-user.js';
import { getUsage } from './admin/get-usage.js';
import { listUsers } from './admin/list-users.js';
import { updateUser } from './admin/update-user.js';
import { getUser } from './auth/get-user.js';
import { issueToken } from './auth/issue-token.js';
import { register } from './auth/register.js';
import { createCompletion } from './chat/create-completion.js';
import { streamCompletion } from './chat/stream-completion.js';
import type { ServiceDeps } from './deps.js';
import { checkHealth } from './health/check-health.js';
import { listModels } from './models/list-models.js';
import { createSession, deleteSession, listMessages, listSessions } from './sessions/sessions.js';

/** Binds every service to the server's parts. */
export function createServices(deps: ServiceDeps): Services {
  return {
    health: { check: () => checkHealth(deps) },
    auth: {
      register: (input, request) => register(deps, input, request),
      issueToken: (input, request) => issueToken(deps, input, request),
      getUser: (caller) => getUser(deps, caller),
    },
    models: { list: () => listModels(deps) },
    chat: {
      createCompletion: (caller, input, request) => createCompletion(deps, caller, input, request),
      streamCompletion: (caller, input, request) => streamCompletion(deps, caller, input, request),
    },
    sessions: {
      create: (caller, input) => createSession(deps, caller, input),
      list: (caller, input) => listSessions(deps, caller, input),
      listMessages: (caller, input) => listMessages(deps, caller, input),
      delete: (caller, input) => deleteSession(deps, caller, input),
    },
    admin: {
      listUsers: (input) => listUsers(deps, input),
      updateUser: (caller, input) => updateUser(deps, caller, input),
      deleteUser: (caller, input) => deleteUser(deps, caller, input),
      getUsage: (input) => getUsage(deps, input),
    },
  };
}
