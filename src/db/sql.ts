import { type SQL, sql } from 'drizzle-orm';

/** An instant as a SQL timestamptz literal parameter, for comparisons inside raw SQL fragments. */
export function timestamptz(instant: Date): SQL {
  return sql`${instant.toISOString()}::timestamptz`;
}
