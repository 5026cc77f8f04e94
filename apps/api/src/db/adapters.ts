// Prisma's driver adapter for PostgreSQL, the embedded server and any other alike.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { readConfig, type Environment } from '../config.js';
import { joinEmbeddedPostgres } from './embedded-postgres.js';

/** PostgreSQL type OIDs that @prisma/adapter-pg 6.19 cannot map, and the text type it can. */
const NAME_OID = 19;
const NAME_ARRAY_OID = 1003;
const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;

/**
 * A pg client that reports `name` columns as `text`. `name` is what the system catalogs use for identifiers, and
 * @prisma/adapter-pg 6.19 rejects it ("Column type 'name' could not be deserialized", prisma/orm#27403), which
 * breaks `prisma migrate` against a real server: the schema engine reads the catalogs. The values are already
 * strings, so relabelling the column type is all the fix needs.
 */
export class NameAsTextClient extends pg.Client {
  // pg's query() has many overloads (promise, callback, submittable); this wraps whichever the caller used.
  override query(...args: unknown[]): never {
    const callback = args.at(-1);
    if (typeof callback === 'function') {
      args[args.length - 1] = (error: unknown, result: unknown) =>
        (callback as (error: unknown, result: unknown) => void)(error, error ? result : relabelNameColumns(result));
      return (super.query as (...a: unknown[]) => never)(...args);
    }
    const returned = (super.query as (...a: unknown[]) => unknown)(...args);
    return (returned instanceof Promise ? returned.then(relabelNameColumns) : returned) as never;
  }
}

function relabelNameColumns(result: unknown): unknown {
  for (const single of Array.isArray(result) ? result : [result]) {
    const fields = (single as { fields?: { dataTypeID: number }[] } | undefined)?.fields;
    for (const field of fields ?? []) {
      if (field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
      else if (field.dataTypeID === NAME_ARRAY_OID) field.dataTypeID = TEXT_ARRAY_OID;
    }
  }
  return result;
}

export function postgresAdapterFactory(databaseUrl: string, pool: pg.PoolConfig = {}): PrismaPg {
  return new PrismaPg({ ...pool, connectionString: databaseUrl, Client: NameAsTextClient });
}

/**
 * The adapter the Prisma CLI migrates through, chosen by the same variables as the API's: DATABASE_URL, else the
 * running embedded server of DATA_DIR.
 */
export async function migrationAdapterFactory(env: Environment) {
  const config = readConfig(env);
  let url = config.databaseUrl;
  if (url === null) {
    const embedded = await joinEmbeddedPostgres(config.dataDir);
    if (!embedded) {
      throw new Error(
        `The embedded PostgreSQL server of ${config.dataDir} is not running: start it with \`npm start\` (or ` +
          '`npm run db:migrate`, which starts it for the migration), or set DATABASE_URL.',
      );
    }
    url = embedded.url;
  }
  // The CLI never disposes its adapter; letting idle connections go lets it exit when it is done.
  return postgresAdapterFactory(url, { allowExitOnIdle: true });
}
