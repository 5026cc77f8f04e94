// `resnet-lab-api`: reads the configuration from the environment, starts the API and prints its endpoint. SIGTERM or
// Ctrl-C stops it gracefully: it stops accepting, closes subscriptions and the database, and exits 0 (within
// STOP_TIMEOUT_MS, else it exits 1 and says what hung). Runs go on in their workers.
import { checkDiskSpace } from './check-disk-space.js';
import { readCommandConfig, redact } from './config.js';
import { openDatabase } from './db/database.js';
import { EmbeddedPostgresInUseError } from './db/embedded-postgres.js';
import { warnAboutPGlite } from './db/legacy-pglite.js';
import { listenAddressError } from './listen-address-error.js';
import { reportDiskFull } from './report-disk-full.js';
import { startApi } from './server.js';

/** How long a graceful stop may take. */
const STOP_TIMEOUT_MS = 10_000;

export async function main(args: readonly string[] = process.argv.slice(2)): Promise<number> {
  if (args.length > 1 || (args.length === 1 && args[0] !== 'migrate')) {
    console.error(
      'Usage: resnet-lab-api [migrate]\n\nWithout arguments, starts the API; `migrate` only applies database migrations.',
    );
    return 2;
  }
  const config = readCommandConfig(process.env);
  if (!config) return 2;
  const lowSpace = await checkDiskSpace(config);
  if (lowSpace) {
    console.error(lowSpace.message);
    return 1;
  }
  if (args[0] === 'migrate') {
    let database;
    try {
      database = await openDatabase(config, { owner: 'npm run db:migrate' });
    } catch (error) {
      if (await reportDiskFull(error, config)) return 1;
      throw error;
    }
    const applied = database.appliedMigrations;
    console.log(
      applied.length > 0
        ? `Applied ${applied.length} migration(s) to ${database.description}: ${applied.join(', ')}`
        : `${database.description} is up to date.`,
    );
    await database.close();
    return 0;
  }
  const exposed = listenAddressError(config);
  if (exposed) {
    console.error(`Invalid configuration: ${exposed.message}`);
    return 2;
  }
  console.log(
    `Starting the ResNet Lab API (database: ${config.databaseUrl ? redact(config.databaseUrl) : `embedded PostgreSQL in ${config.dataDir}/postgres`})...`,
  );
  await warnAboutPGlite(config.dataDir);
  let api;
  try {
    api = await startApi(config);
  } catch (error) {
    if (error instanceof EmbeddedPostgresInUseError) {
      console.error(error.message);
      return 1;
    }
    if (await reportDiskFull(error, config)) return 1;
    throw error;
  }
  console.log(`ResNet Lab API ready at ${api.url}`);
  console.log(`  subscriptions: ${api.subscriptionsUrl}`);
  console.log(`  database: ${api.services.system.databaseDescription}`);
  console.log('  compute: loaded on the first prediction or evaluation; runs train in workers');
  console.log(
    `  mutations: ${config.apiToken ? 'need Authorization: Bearer <API_TOKEN>' : 'open (API_TOKEN is not set)'}`,
  );
  const workers = await api.services.workers.list({ includeStopped: false });
  console.log(
    workers.length > 0
      ? `  workers online: ${workers.length}`
      : '  workers online: none yet; runs wait QUEUED until one starts (`npx resnet-lab-worker`, or `npm start`)',
  );
  await new Promise<void>((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
  console.log('Stopping...');
  const timeout = setTimeout(() => {
    console.error(`The API did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting.`);
    process.exit(1);
  }, STOP_TIMEOUT_MS);
  timeout.unref();
  await api.stop();
  clearTimeout(timeout);
  console.log('Stopped.');
  return 0;
}
