// The database that the API would use, read from the same environment variables as apps/api/src/config.ts
// (DATABASE_URL, else the embedded server of DATA_DIR/postgres) and from the owner record that
// apps/api/src/db/embedded-postgres.ts keeps in DATA_DIR/postgres.json. The trainer does not import the API: this
// reads the same files, and opens no connection.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The API's default DATA_DIR, relative to the directory it starts in. */
export const DEFAULT_DATA_DIR = 'data';

export type ApiDatabase =
  | {
      readonly kind: 'external';
      /** DATABASE_URL with its password replaced by ***. */
      readonly url: string;
      /** Why the API would refuse it; null where it would try it. */
      readonly problem: string | null;
    }
  | {
      readonly kind: 'embedded';
      readonly dataDir: string;
      /** The cluster, DATA_DIR/postgres. */
      readonly directory: string;
      /** Whether the cluster exists (the first `npm start` or API start creates it). */
      readonly created: boolean;
      readonly running: boolean;
      /** The postmaster's process id and port, where it runs. */
      readonly pid: number | null;
      readonly port: number | null;
      /** The live process that started it and stops it (`npm start`, an API started alone), where there is one. */
      readonly owner: { readonly name: string; readonly pid: number; readonly startedAt: string } | null;
    };

export function apiDatabase(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ApiDatabase {
  const url = nonEmpty(env['DATABASE_URL']);
  if (url !== undefined) return { kind: 'external', url: redact(url), problem: urlProblem(url) };
  const dataDir = path.resolve(cwd, nonEmpty(env['DATA_DIR']) ?? DEFAULT_DATA_DIR);
  const directory = path.join(dataDir, 'postgres');
  const postmaster = runningPostmaster(directory);
  const record = ownerRecord(path.join(dataDir, 'postgres.json'));
  return {
    kind: 'embedded',
    dataDir,
    directory,
    created: fs.existsSync(path.join(directory, 'PG_VERSION')),
    running: postmaster !== null,
    pid: postmaster?.pid ?? null,
    port: postmaster?.port ?? null,
    owner: postmaster !== null && record !== null && isAlive(record.pid) ? record : null,
  };
}

/** As the API's redact: the password of postgresql://user:password@host never reaches a log. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

function urlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL; expected postgresql://user:password@host:port/database';
  }
  return url.protocol === 'postgresql:' || url.protocol === 'postgres:'
    ? null
    : `unsupported scheme '${url.protocol}' (allowed: postgresql:, postgres:)`;
}

/** PostgreSQL's postmaster.pid: the server's pid on line 1, its port on line 4; null where that process is gone. */
function runningPostmaster(cluster: string): { pid: number; port: number } | null {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(cluster, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  return { pid, port };
}

function ownerRecord(file: string): { name: string; pid: number; startedAt: string } | null {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
  const { ownerPid, owner, startedAt } = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  if (typeof ownerPid !== 'number') return null;
  return {
    name: typeof owner === 'string' ? owner : 'another process',
    pid: ownerPid,
    startedAt: typeof startedAt === 'string' ? startedAt : 'unknown',
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (the postgres OS user, when we are not root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
