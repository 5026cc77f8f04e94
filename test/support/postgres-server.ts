// A throwaway PostgreSQL cluster for tests that need a real server: initdb into a temporary directory, start it on a
// free port of 127.0.0.1 with trust authentication, remove it all on stop(). Uses Debian's `postgresql` package.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

export interface PostgresServer {
  /** URL of a database on this server, as the superuser (no password: the cluster trusts local connections). */
  url(database: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

/** Where Debian's postgresql-<major> packages install the server binaries, one directory per major version. */
const POSTGRES_LIB_DIR = '/usr/lib/postgresql';
const SUPERUSER = 'postgres';
/** The OS user that owns the cluster when the tests run as root: initdb and postgres refuse to run as root. */
const OS_USER = 'postgres';
const PG_CTL_WAIT_SECONDS = 60;

const run = promisify(execFile);

export async function startPostgresServer(): Promise<PostgresServer> {
  const binDir = await findPostgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-postgres-'));
  const dataDir = path.join(directory, 'data');
  const logFile = path.join(directory, 'server.log');
  // As root, every server command runs as the postgres OS user, which must own the directory and can reach it.
  const command = async (program: string, args: string[]) => {
    const file = path.join(binDir, program);
    const [executable, argv] = asRoot ? ['runuser', ['-u', OS_USER, '--', file, ...args]] : [file, args];
    try {
      return await run(executable, argv, { cwd: directory });
    } catch (error) {
      const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
      throw new Error(`${program} ${args.join(' ')} failed: ${stderr || stdout || (error as Error).message}`, {
        cause: error,
      });
    }
  };

  try {
    if (asRoot) {
      await fs.chmod(directory, 0o755);
      await run('chown', [OS_USER, directory]);
    }
    await command('initdb', [
      '-D',
      dataDir,
      '-U',
      SUPERUSER,
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    const port = await freePort();
    // A throwaway cluster needs no durability; skipping fsync keeps CREATE DATABASE and migrations fast.
    await fs.appendFile(
      path.join(dataDir, 'postgresql.conf'),
      [
        '',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${directory}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        '',
      ].join('\n'),
    );
    try {
      await command('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', String(PG_CTL_WAIT_SECONDS), 'start']);
    } catch (error) {
      const log = await fs.readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`PostgreSQL did not start on port ${port}. Server log:\n${log}`, { cause: error });
    }

    const url = (database: string) => `postgresql://${SUPERUSER}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    return {
      url,
      async createDatabase(name) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
          throw new Error(`Expected a database name of lower-case letters, digits and underscores but got: '${name}'.`);
        }
        const client = new pg.Client({ connectionString: url('postgres') });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${name}"`);
        } finally {
          await client.end();
        }
        return url(name);
      },
      async stop() {
        try {
          await command('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', String(PG_CTL_WAIT_SECONDS), 'stop']);
        } finally {
          await fs.rm(directory, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await fs.rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/** The bin directory of the newest installed major version, e.g. /usr/lib/postgresql/16/bin. */
async function findPostgresBinDir(): Promise<string> {
  const versions = await fs.readdir(POSTGRES_LIB_DIR).catch(() => [] as string[]);
  const installed: { major: number; binDir: string }[] = [];
  for (const version of versions) {
    const binDir = path.join(POSTGRES_LIB_DIR, version, 'bin');
    const hasServer = await fs.access(path.join(binDir, 'initdb'), fs.constants.X_OK).then(
      () => true,
      () => false,
    );
    if (hasServer) installed.push({ major: Number.parseFloat(version), binDir });
  }
  const newest = installed.sort((a, b) => b.major - a.major)[0];
  if (!newest) {
    throw new Error(
      `No PostgreSQL server found (expected ${POSTGRES_LIB_DIR}/<version>/bin/initdb). ` +
        "Install Debian's postgresql package: apt-get install -y postgresql",
    );
  }
  return newest.binDir;
}
