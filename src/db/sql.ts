import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Database } from './database.js';

/** An instant as a SQL timestamptz literal parameter, for comparisons inside raw SQL fragments. */
export function timestamptz(instant: Date): SQL {
  return sql`${instant.toISOString()}::timestamptz`;
}

// The same column casing as the database handle's drizzle instance (database.ts).
const dialect = new PgDialect({ casing: 'snake_case' });

/**
 * A repository's prepared statements, built by `prepare` on their first use:
 * the transaction-scoped copies of a repository (one per transaction) never
 * build statements they do not run.
 */
export function preparedOnFirstUse<Statements>(prepare: () => Statements): () => Statements {
  let statements: Statements | undefined;
  return () => {
    statements ??= prepare();
    return statements;
  };
}

/**
 * A raw statement that PostgreSQL parses and plans once per connection (a
 * named prepared statement) instead of on every call: for the hot statements
 * the query builder cannot express. Values go in by `sql.placeholder(name)`;
 * instants as ISO strings cast in the SQL. PGlite runs it as a plain query.
 */
export function preparedStatement<Row>(db: Database, name: string, query: SQL) {
  const prepared = db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false);
  return async (values: Record<string, unknown>): Promise<Row[]> =>
    ((await prepared.execute(values)) as { rows: Row[] }).rows;
}
