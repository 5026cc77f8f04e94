// `npm start`: reads the configuration from the environment, starts the API and prints its endpoint. The first
// Ctrl-C (or SIGTERM) stops it gracefully: running workers are stopped and their runs marked interrupted.
import { ConfigError, readConfig, redact } from './config.js';
import { openDatabase } from './db/database.js';
import { startApi } from './server.js';

export async function main(args: readonly string[] = process.argv.slice(2)): Promise<number> {
  if (args.length > 1 || (args.length === 1 && args[0] !== 'migrate')) {
    console.error(
      'Usage: resnet-lab-api [migrate]\n\nWithout arguments, starts the API; `migrate` only applies database migrations.',
    );
    return 2;
  }
  let config;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Invalid configuration: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (args[0] === 'migrate') {
    const database = await openDatabase(config);
    const applied = database.appliedMigrations;
    console.log(
      applied.length > 0
        ? `Applied ${applied.length} migration(s) to ${database.description}: ${applied.join(', ')}`
        : `${database.description} is up to date.`,
    );
    await database.close();
    return 0;
  }
  console.log(
    `Starting the ResNet Lab API (database: ${config.databaseUrl ? redact(config.databaseUrl) : `embedded in ${config.dataDir}`})...`,
  );
  const api = await startApi(config);
  const { activeBackend } = api.services.system;
  console.log(`ResNet Lab API ready at ${api.url}`);
  console.log(`  subscriptions: ${api.subscriptionsUrl}`);
  console.log(`  database: ${api.services.system.databaseDescription}`);
  console.log(`  backend: ${activeBackend.name} (${activeBackend.device}); runs at a time: ${config.runConcurrency}`);
  console.log(
    `  mutations: ${config.apiToken ? 'need Authorization: Bearer <API_TOKEN>' : 'open (API_TOKEN is not set)'}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('Stopping...');
  await api.stop();
  return 0;
}
