// `npm start`: everything on one machine. The embedded PostgreSQL server of DATA_DIR (unless DATABASE_URL names
// one), its migrations, the GraphQL API, RUN_CONCURRENCY training workers and the dashboard (a production build,
// made on the first start and whenever its sources changed); prints the URLs. Ctrl-C stops them all, the database
// last.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  EmbeddedPostgresInUseError,
  checkDiskSpace,
  describeFatalError,
  listenAddressError,
  migrate,
  readCommandConfig,
  redact,
  reportDiskFull,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '@resnet-lab/api';

const root = path.resolve(import.meta.dirname, '..');
const API_BIN = path.join(root, 'apps', 'api', 'bin', 'resnet-lab-api.js');
const WORKER_BIN = path.join(root, 'apps', 'api', 'bin', 'resnet-lab-worker.js');
const DASHBOARD_DIR = path.join(root, 'apps', 'dashboard');
const NEXT_BIN = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
const BUILD_ID = path.join(DASHBOARD_DIR, '.next', 'BUILD_ID');
const DEFAULT_DASHBOARD_PORT = '3000';

/** The newest modification time of the dashboard's sources and configuration. */
function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '.next') continue;
    const full = path.join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function ensureDashboardBuild(): void {
  if (fs.existsSync(BUILD_ID) && fs.statSync(BUILD_ID).mtimeMs >= newestSource(DASHBOARD_DIR)) return;
  console.log('Building the dashboard (on the first start, and after its sources change)...');
  const build = spawnSync(process.execPath, [NEXT_BIN, 'build'], {
    cwd: DASHBOARD_DIR,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (build.status !== 0) throw new Error(`The dashboard build failed (exit code ${String(build.status)}).`);
}

/** Starts a child whose output is shown with a prefix; resolves with the first match of `ready` in its output. */
function startChild(
  name: string,
  command: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  ready: RegExp,
): { child: ChildProcess; ready: Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, command, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  const readyPromise = new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      for (const line of text.split('\n')) if (line.trim()) process.stdout.write(`[${name}] ${line}\n`);
      seen += text;
      const match = ready.exec(seen);
      if (match) resolve(match);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`The ${name} exited with code ${String(code)} before it was ready.`)),
    );
  });
  return { child, ready: readyPromise };
}

async function main(): Promise<number> {
  const config = readCommandConfig(process.env);
  if (!config) return 2;
  // Here as well as in the API, so that it stops before the database starts and the dashboard builds.
  const exposed = listenAddressError(config);
  if (exposed) {
    console.error(`Invalid configuration: ${exposed.message}`);
    return 2;
  }
  const lowSpace = await checkDiskSpace(config);
  if (lowSpace) {
    console.error(lowSpace.message);
    return 1;
  }
  let embedded: EmbeddedPostgres | null = null;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === null) {
    try {
      embedded = await startEmbeddedPostgres(config.dataDir, { owner: 'npm start' });
    } catch (error) {
      if (await reportDiskFull(error, config)) return 1;
      if (!(error instanceof EmbeddedPostgresInUseError)) throw error;
      console.error(error.message);
      return 1;
    }
    databaseUrl = embedded.url;
    console.log(`[postgres] embedded PostgreSQL ready at ${redact(databaseUrl)} (data in ${config.dataDir}/postgres)`);
  }
  try {
    ensureDashboardBuild();
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  let applied: string[];
  try {
    applied = await migrate(databaseUrl);
  } catch (error) {
    await embedded?.stop();
    if (await reportDiskFull(error, config)) return 1;
    throw error;
  }
  if (applied.length > 0) console.log(`[postgres] applied migrations: ${applied.join(', ')}`);
  const port = process.env.DASHBOARD_PORT ?? DEFAULT_DASHBOARD_PORT;
  const host = process.env.HOST ?? '127.0.0.1';
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    ARTIFACT_DIR: config.artifactDir,
    ...dashboardOrigin(config.corsOrigins, host, port),
    // A browser that opens the API's URL is sent to the dashboard's API explorer.
    DASHBOARD_URL: config.dashboardUrl ?? dashboardUrl(host, port),
  };

  const api = startChild('api', [API_BIN], { cwd: root, env }, /ready at (\S+)[\s\S]*mutations: /);
  const children: ChildProcess[] = [api.child];
  let stopping = false;
  const stopAll = () => {
    stopping = true;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  for (let index = 1; index <= config.runConcurrency; index++) {
    const worker = startChild(
      `worker ${index}`,
      [WORKER_BIN],
      { cwd: root, env: { ...env, RESNET_LAB_WORKERS_ON_MACHINE: String(config.runConcurrency) } },
      /ready on /,
    );
    children.push(worker.child);
    worker.ready.catch(() => undefined);
  }
  try {
    const apiUrl = (await api.ready)[1]!;
    // A server listening on every interface is reached in a browser through localhost.
    const browserApiUrl = process.env.RESNET_LAB_API_URL ?? apiUrl.replace('//0.0.0.0:', '//127.0.0.1:');
    const dashboard = startChild(
      'dashboard',
      [NEXT_BIN, 'start', '--port', port, '--hostname', host],
      { cwd: DASHBOARD_DIR, env: { ...process.env, RESNET_LAB_API_URL: browserApiUrl, NEXT_TELEMETRY_DISABLED: '1' } },
      /Ready in/,
    );
    children.push(dashboard.child);
    await dashboard.ready;
    const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
    console.log(
      `\nResNet Lab is running:\n  dashboard:   http://${shownHost}:${port}\n  GraphQL API: ${apiUrl}\n` +
        `  workers:     ${config.runConcurrency} (RUN_CONCURRENCY); more from any machine with DATABASE_URL=... ` +
        'ARTIFACT_DIR=... npx resnet-lab-worker\nCtrl-C stops everything.',
    );
  } catch (error) {
    console.error((error as Error).message);
    stopAll();
    await Promise.all(children.map(exitOf));
    await embedded?.stop();
    return 1;
  }
  // The API or the dashboard stopping (Ctrl-C, or a crash) stops everything; a worker that crashes is reported.
  const codes = await Promise.all(
    children.map(async (child, index) => {
      const code = await exitOf(child);
      if (index === 0 || child === children.at(-1) || stopping) stopAll();
      return code;
    }),
  );
  await embedded?.stop();
  return Math.max(...codes);
}

/**
 * CORS_ORIGINS for the API when browsers load the dashboard from an address outside the API's default origins
 * (HOST=10.0.0.5: http://10.0.0.5:3000), unless CORS_ORIGINS says otherwise.
 */
function dashboardOrigin(corsOrigins: readonly string[] | '*', host: string, port: string): NodeJS.ProcessEnv {
  // On every interface the dashboard is shown, and reached, as http://127.0.0.1:<port>.
  if (process.env.CORS_ORIGINS?.trim() || corsOrigins === '*' || host === '0.0.0.0' || host === '::') return {};
  const origin = new URL(dashboardUrl(host, port)).origin;
  return corsOrigins.includes(origin) ? {} : { CORS_ORIGINS: [...corsOrigins, origin].join(',') };
}

/** The dashboard's URL as it listens: http://10.0.0.5:3000, or http://0.0.0.0:3000 on every interface. */
function dashboardUrl(host: string, port: string): string {
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

function exitOf(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(1);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

try {
  process.exitCode = await main();
} catch (error) {
  // Rather than Node's report of an uncaught error, which opens with the source line that threw: for a minified
  // module (Prisma's runtime) that line is the whole file.
  console.error(describeFatalError(error));
  process.exitCode = 1;
}
