/** Moji's schemas, error codes and types, without routers or server runtime. */
export * from './common.js';
export * from './errors.js';
export * from './to-moji-error.js';
export * from './meta.js';
export * from './auth/user.js';
export * from './auth/register.js';
export * from './auth/token.js';
export * from './auth/me.js';
export * from './chat/message.js';
export * from './chat/create-completion.js';
export * from './health/get-health.js';
export * from './models/list-models.js';
export * from './sessions/session.js';
