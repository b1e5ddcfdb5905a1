import type { MojiError } from './errors.js';
import type { Caller, RequestInfo, Services } from './services.js';

/** What the server settled about the caller before any procedure runs. */
export interface AuthState {
  caller?: Caller;
  /** Why the caller may not go on (401, or 429 over the rate limit); thrown by protected procedures. */
  error?: MojiError;
}

/** A status and headers that a procedure asks the transport to answer with. */
export interface ResponseControl {
  status?: number;
  headers: Record<string, string>;
  /** The error the call ended with, as the transport will answer it. */
  error?: MojiError;
}

/** The context of every procedure call, made by the server per HTTP request. */
export interface Context {
  services: Services;
  request: RequestInfo;
  auth: AuthState;
  response: ResponseControl;
  transport: 'rest' | 'trpc';
}
