import { parseArgs } from 'node:util';
import { loadConfigFromProcess } from './config.js';
import { openDatabase } from './db/database.js';
import { createAuditRecorder } from './modules/audit/recorder.js';
import { createSuperAdmin } from './modules/user-admin/super-admin.js';
import { systemClock } from './platform/clock.js';
import { createPasswordHasher, createPasswordPolicy } from './platform/password.js';
import { createRepositories } from './repositories.js';

const commands: Record<string, { summary: string; run: (args: string[]) => Promise<void> }> = {
  migrate: {
    summary: 'Apply pending database migrations (the server also does this at start-up)',
    async run() {
      const config = loadConfigFromProcess();
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await database.migrate();
        console.log(`migrations applied (${database.kind})`);
      } finally {
        await database.close();
      }
    },
  },
  'create-super-admin': {
    summary: 'Create a verified SUPER_ADMIN: --email E --password P',
    async run(args) {
      const { values } = parseArgs({ args, options: { email: { type: 'string' }, password: { type: 'string' } } });
      if (!values.email || !values.password) throw new Error('usage: create-super-admin --email E --password P');
      const config = loadConfigFromProcess();
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      const hasher = await createPasswordHasher();
      try {
        await database.migrate();
        // Only what creating an account needs: no keys, outbox or listeners for a one-shot command.
        const repositories = createRepositories(database.db);
        const deps = {
          ...repositories,
          audit: createAuditRecorder({ audit: repositories.audit, clock: systemClock }),
          hasher,
          passwordPolicy: createPasswordPolicy(),
          clock: systemClock,
        };
        await createSuperAdmin(deps, { email: values.email, password: values.password }, { onlyIfNone: false });
        console.log(`super admin ${values.email.trim().toLowerCase()} created`);
      } finally {
        await hasher.close();
        await database.close();
      }
    },
  },
};

function printHelp(): void {
  console.log('usage: npm run cli -- <command> [options]\n\ncommands:');
  for (const [name, command] of Object.entries(commands)) console.log(`  ${name.padEnd(20)} ${command.summary}`);
  console.log(`  ${'help'.padEnd(20)} Show this list`);
}

const [name, ...args] = process.argv.slice(2);
const command = name && Object.hasOwn(commands, name) ? commands[name] : undefined;
if (!command) {
  printHelp();
  process.exit(name && name !== 'help' && name !== '--help' ? 2 : 0);
}
try {
  await command.run(args);
} catch (error) {
  console.error(`gatehouse: ${(error as Error).message}`);
  process.exit(1);
}
