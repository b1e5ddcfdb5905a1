/** Moji's API: schemas, error codes, the Services seam and the tRPC routers. */
export * from './schemas.js';
export type * from './context.js';
export type * from './services.js';
export * from './trpc.js';
export * from './router.js';
