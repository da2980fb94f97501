import { parseArgs } from 'node:util';
import { type Config, loadConfigFromProcess } from './config.js';
import { type DatabaseHandle, openDatabase } from './db/database.js';
import { type AuditRecorder, createAuditRecorder } from './modules/audit/recorder.js';
import {
  clientIdFromArgs,
  clientInputFromArgs,
  clientListText,
  createClientUsage,
  createdClientText,
  rotatedKeysText,
} from './modules/oidc/cli.js';
import { createClientCache } from './modules/oidc/client-cache.js';
import { createOidcClientService } from './modules/oidc/clients.js';
import { createOidcKeys } from './modules/oidc/keys.js';
import { createSuperAdmin } from './modules/user-admin/super-admin.js';
import { resolveAppSecret } from './platform/app-secret.js';
import { systemClock } from './platform/clock.js';
import { createPasswordHasher, createPasswordPolicy } from './platform/password.js';
import { createSecrets } from './platform/secrets.js';
import { createRepositories, type Repositories } from './repositories.js';

interface CommandContext {
  config: Config;
  database: DatabaseHandle;
  repositories: Repositories;
  audit: AuditRecorder;
}

/**
 * The migrated database with what a one-shot command needs, closed afterwards:
 * no keys, outbox or listeners, which only a running server uses.
 */
async function withDatabase<T>(use: (context: CommandContext) => Promise<T>): Promise<T> {
  const config = loadConfigFromProcess();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await database.migrate();
    const repositories = createRepositories(database.db);
    const audit = createAuditRecorder({ audit: repositories.audit, clock: systemClock });
    return await use({ config, database, repositories, audit });
  } finally {
    await database.close();
  }
}

// The admin API's service: the CLI acts as nobody (a null actor in the audit trail). Its client cache is
// never connected, so it keeps nothing; running servers learn of the change from the database's trigger.
const oidcClients = ({ repositories, audit }: CommandContext) =>
  createOidcClientService({
    oidc: repositories.oidc,
    oidcClientCache: createClientCache(systemClock),
    audit,
    clock: systemClock,
  });

/** Refuses stray arguments, so a mistyped option never runs a command that takes none. */
const noArguments = (args: string[]) => parseArgs({ args, options: {} });

// A command is one word (`migrate`) or a noun and a verb (`oidc-client create`).
const commands: Record<string, { summary: string; run: (args: string[]) => Promise<void> }> = {
  migrate: {
    summary: 'Apply pending database migrations (the server also does this at start-up)',
    async run(args) {
      noArguments(args);
      console.log(`migrations applied (${await withDatabase(async ({ database }) => database.kind)})`);
    },
  },
  'create-super-admin': {
    summary: 'Create a verified SUPER_ADMIN: --email E --password P',
    async run(args) {
      const { values } = parseArgs({ args, options: { email: { type: 'string' }, password: { type: 'string' } } });
      const { email, password } = values;
      if (!email || !password) throw new Error('usage: create-super-admin --email E --password P');
      const hasher = await createPasswordHasher();
      try {
        await withDatabase(({ repositories, audit }) => {
          const deps = { ...repositories, audit, hasher, passwordPolicy: createPasswordPolicy(), clock: systemClock };
          return createSuperAdmin(deps, { email, password }, { onlyIfNone: false });
        });
      } finally {
        await hasher.close();
      }
      console.log(`super admin ${email.trim().toLowerCase()} created`);
    },
  },
  'oidc-client create': {
    summary: `Register an OpenID client app: ${createClientUsage}`,
    async run(args) {
      const input = clientInputFromArgs(args);
      console.log(createdClientText(await withDatabase((context) => oidcClients(context).create(null, input))));
    },
  },
  'oidc-client list': {
    summary: "The OpenID provider's client apps: id, type, name, redirect URIs",
    async run(args) {
      noArguments(args);
      console.log(clientListText(await withDatabase((context) => oidcClients(context).list())));
    },
  },
  'oidc-client delete': {
    summary: 'Remove a client app with every code, token and grant issued to it: <clientId>',
    async run(args) {
      const clientId = clientIdFromArgs(args);
      await withDatabase((context) => oidcClients(context).remove(null, clientId));
      console.log(`client ${clientId} removed`);
    },
  },
  'oidc-keys rotate': {
    summary: 'Retire the OpenID signing keys and make new ones',
    async run(args) {
      noArguments(args);
      const kids = await withDatabase(async ({ config, database }) => {
        // The server's APP_SECRET (or the one kept in DATA_DIR): it encrypts the new private keys.
        const secrets = createSecrets(await resolveAppSecret(config.appSecret, config.dataDir));
        return createOidcKeys({ db: database.db, secrets, clock: systemClock }).rotate();
      });
      console.log(rotatedKeysText(kids));
    },
  },
};

function printHelp(): void {
  console.log('usage: npm run cli -- <command> [options]\n\ncommands:');
  for (const [name, command] of Object.entries(commands)) console.log(`  ${name.padEnd(20)} ${command.summary}`);
  console.log(`  ${'help'.padEnd(20)} Show this list`);
}

const argv = process.argv.slice(2);
const name = [argv.slice(0, 2).join(' '), argv[0]].find((words) => words && Object.hasOwn(commands, words));
const command = name ? commands[name] : undefined;
if (!name || !command) {
  printHelp();
  process.exit(argv[0] && argv[0] !== 'help' && argv[0] !== '--help' ? 2 : 0);
}
try {
  await command.run(argv.slice(name.split(' ').length));
} catch (error) {
  console.error(`gatehouse: ${(error as Error).message}`);
  process.exit(1);
}
