import { defineConfig } from 'drizzle-kit';

// Generates the committed SQL migrations; `npm run db:generate` after a schema change.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './src/db/migrations',
  casing: 'snake_case',
});
