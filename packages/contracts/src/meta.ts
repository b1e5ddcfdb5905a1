import type { OpenApiMeta } from 'trpc-to-openapi';

/** Who may call a procedure: anyone, a signed-in user, or an admin. */
export type Access = 'public' | 'user' | 'admin';

/** The meta every Moji procedure carries: its access, REST route and success status. */
export interface MojiMeta extends OpenApiMeta {
  auth: Access;
  successStatus?: 200 | 201 | 204;
}
