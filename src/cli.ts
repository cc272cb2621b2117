// `npm run migrate` (tsx src/cli.ts migrate): applies the migrations and exits non-zero on failure.
import { loadConfig } from './config';
import { openDatabase } from './db/client';
import { migrate } from './db/migrate';

const [command] = process.argv.slice(2);

if (command !== 'migrate') {
  console.error('usage: cli.ts migrate');
  process.exit(2);
}
try {
  const config = loadConfig(process.env);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, maxConnections: 1 });
  await migrate(database, config.databaseUrl);
  await database.close();
  console.log(`migrations applied (${config.databaseUrl ? 'PostgreSQL at DATABASE_URL' : `embedded PGlite in ${config.dataDir}`})`);
} catch (err) {
  console.error(`migration failed: ${(err as Error).message}`);
  process.exit(1);
}
