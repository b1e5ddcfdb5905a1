import { z } from 'zod';

import { adminUserSchema, userIdInputSchema } from './admin/admin-user.js';
import { deleteUserMeta } from './admin/delete-user.js';
import { getUsageMeta, usageInputSchema, usageListSchema } from './admin/get-usage.js';
import { adminUserListSchema, listUsersInputSchema, listUsersMeta } from './admin/list-users.js';
import { updateUserInputSchema, updateUserMeta } from './admin/update-user.js';
import { meMeta } from './auth/me.js';
import { registerInputSchema, registerMeta } from './auth/register.js';
import { tokenInputSchema, tokenMeta, tokenSchema } from './auth/token.js';
import { userSchema } from './auth/user.js';
import {
  completionRequestSchema,
  completionSchema,
  createCompletionMeta,
} from './chat/create-completion.js';
import { getHealthMeta, healthSchema } from './health/get-health.js';
import { listModelsMeta, modelListSchema } from './models/list-models.js';
import {
  createSessionInputSchema,
  createSessionMeta,
  deleteSessionMeta,
  listMessagesInputSchema,
  listMessagesMeta,
  listSessionsInputSchema,
  listSessionsMeta,
  messageListSchema,
  sessionIdInputSchema,
  sessionListSchema,
  sessionSchema,
} from './sessions/session.js';
import { adminProcedure, protectedProcedure, publicProcedure, router } from './trpc.js';

const healthRouter = router({
  get: publicProcedure
    .meta(getHealthMeta)
    .output(healthSchema)
    .query(async ({ ctx }) => {
      const { health, httpStatus } = await ctx.services.health.check();
      ctx.response.status = httpStatus;

      return health;
    }),
});

const authRouter = router({
  register: publicProcedure
    .meta(registerMeta)
    .input(registerInputSchema)
    .output(userSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.register(input, ctx.request)),
  token: publicProcedure
    .meta(tokenMeta)
    .input(tokenInputSchema)
    .output(tokenSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.issueToken(input, ctx.request)),
  me: protectedProcedure
    .meta(meMeta)
    .output(userSchema)
    .query(({ ctx }) => ctx.services.auth.getUser(ctx.caller)),
});

const modelsRouter = router({
  list: protectedProcedure
    .meta(listModelsMeta)
    .output(modelListSchema)
    .query(({ ctx }) => ctx.services.models.list()),
});

const chatRouter = router({
  createCompletion: protectedProcedure
    .meta(createCompletionMeta)
    .input(completionRequestSchema)
    .output(completionSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.chat.createCompletion(ctx.caller, input, ctx.request),
    ),
  /** The same completion as a stream of chunks, for tRPC clients and the REST SSE route. */
  streamCompletion: protectedProcedure
    .meta({ auth: 'user' })
    .input(completionRequestSchema)
    .mutation(async function* ({ ctx, input }) {
      yield* await ctx.services.chat.streamCompletion(ctx.caller, input, ctx.request);
    }),
});

const sessionsRouter = router({
  create: protectedProcedure
    .meta(createSessionMeta)
    .input(createSessionInputSchema)
    .output(sessionSchema)
    .mutation(({ ctx, input }) => ctx.services.sessions.create(ctx.caller, input)),
  list: protectedProcedure
    .meta(listSessionsMeta)
    .input(listSessionsInputSchema)
    .output(sessionListSchema)
    .query(({ ctx, input }) => ctx.services.sessions.list(ctx.caller, input)),
  listMessages: protectedProcedure
    .meta(listMessagesMeta)
    .input(listMessagesInputSchema)
    .output(messageListSchema)
    .query(({ ctx, input }) => ctx.services.sessions.listMessages(ctx.caller, input)),
  delete: protectedProcedure
    .meta(deleteSessionMeta)
    .input(sessionIdInputSchema)
    .output(z.void())
    .mutation(({ ctx, input }) => ctx.services.sessions.delete(ctx.caller, input)),
});

const adminRouter = router({
  listUsers: adminProcedure
    .meta(listUsersMeta)
    .input(listUsersInputSchema)
    .output(adminUserListSchema)
    .query(({ ctx, input }) => ctx.services.admin.listUsers(input)),
  updateUser: adminProcedure
    .meta(updateUserMeta)
    .input(updateUserInputSchema)
    .output(adminUserSchema)
    .mutation(({ ctx, input }) => ctx.services.admin.updateUser(ctx.caller, input)),
  deleteUser: adminProcedure
    .meta(deleteUserMeta)
    .input(userIdInputSchema)
    .output(z.void())
    .mutation(({ ctx, input }) => ctx.services.admin.deleteUser(ctx.caller, input)),
  getUsage: adminProcedure
    .meta(getUsageMeta)
    .input(usageInputSchema)
    .output(usageListSchema)
    .query(({ ctx, input }) => ctx.services.admin.getUsage(input)),
});

/** Every procedure of the API; REST routes and `/trpc` are both served from it. */
export const appRouter = router({
  health: healthRouter,
  auth: authRouter,
  models: modelsRouter,
  chat: chatRouter,
  sessions: sessionsRouter,
  admin: adminRouter,
});

/** The type of the API, for typed clients. */
export type AppRouter = typeof appRouter;
