import { z } from 'zod';

/** The largest string any field takes: 1 MiB of characters. */
export const MAX_STRING_LENGTH = 1_048_576;

const NUL = '\u0000';
// Half of a surrogate pair on its own: not Unicode, and PostgreSQL's jsonb refuses its escape.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A string of at most `max` characters, with no NUL and no lone surrogate: PostgreSQL can
 * store neither.
 */
export function textSchema(max = MAX_STRING_LENGTH) {
  return z
    .string()
    .max(max)
    .refine((value) => !value.includes(NUL), { message: 'must not contain NUL characters' })
    .refine((value) => !loneSurrogate.test(value), {
      message: 'must be well-formed Unicode (no lone surrogate)',
    });
}

/** A time as an ISO 8601 string in UTC, such as `2026-01-01T00:00:00.000Z`. */
export const timestampSchema = z.iso.datetime();

/** How many items a page holds: 1 to 200, 50 when absent. */
export const pageLimitSchema = z.number().int().min(1).max(200).optional();

/** Paging parameters: `limit` and `after`, the id of the last item already seen. */
export const pageQueryShape = {
  limit: pageLimitSchema,
  after: z.string().max(256).optional(),
};

/** A page of a list, as `{object: "list", data, has_more}`. */
export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({
    object: z.literal('list'),
    data: z.array(item),
    has_more: z.boolean(),
  });
}

/** A page of items. */
export interface List<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

/** The input of a route that takes nothing. */
export const emptyInputSchema = z.strictObject({});
