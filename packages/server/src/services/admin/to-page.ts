import type { List } from '@moji/contracts';

/** The first `limit` of `rows`, which were fetched one over the limit, as a page. */
export function toPage<T>(rows: T[], limit: number): List<T> {
  return { object: 'list', data: rows.slice(0, limit), has_more: rows.length > limit };
}
