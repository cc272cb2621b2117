// `callgate migrate`: applies the migrations in drizzle/ (what the gateway does at start), for
// deployments that migrate before rolling out instances.
import { migrate } from '../db/migrate';
import type { Command } from './command';

export const migrateCommands: readonly Command[] = [
  {
    path: ['migrate'],
    summary: 'apply the database migrations',
    createsDatabase: true,
    help: 'Creates the embedded database in CALLGATE_DATA_DIR when DATABASE_URL is unset and there is none yet.',
    async run(_input, ctx) {
      const database = await ctx.database();
      await migrate(database, ctx.config.databaseUrl);
      const where = ctx.config.databaseUrl ? 'PostgreSQL at DATABASE_URL' : `embedded PGlite in ${ctx.config.dataDir}`;
      return { text: `migrations applied (${where})`, json: { migrated: true, database: database.kind } };
    },
  },
];
