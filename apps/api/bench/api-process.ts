// The API as users start it (`resnet-lab-api`, apps/api/bin/resnet-lab-api.js) in a child process on a given
// PostgreSQL database, ready once it prints its endpoint; stopped with Ctrl-C as a user would, or killed when it hangs.
import { spawn } from 'node:child_process';
import path from 'node:path';

const API_BIN = path.resolve(import.meta.dirname, '..', 'bin', 'resnet-lab-api.js');
const REPOSITORY_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
/** The banner ends with the mutations line. */
const READY = /ready at (\S+)[\s\S]*mutations: /;
/** How much of its output is kept for error messages. */
const OUTPUT_TAIL_CHARS = 64 * 1024;
/** After Ctrl-C the API gives itself 10 s to stop; after this, it is killed. */
const STOP_TIMEOUT_MS = 15_000;

export interface ApiProcessOptions {
  /** Names it in messages. */
  readonly name: string;
  readonly databaseUrl: string;
  /** DATA_DIR: artifacts and datasets of this process. */
  readonly dataDir: string;
  readonly startTimeoutMs: number;
  /** Options for node itself, e.g. --cpu-prof (which NODE_OPTIONS does not take). */
  readonly nodeArguments?: readonly string[];
  /** Settings of this process (e.g. MAX_IMAGE_PIXELS), over the ones set here. */
  readonly environment?: Readonly<Record<string, string>>;
}

export interface ApiProcess {
  readonly name: string;
  /** e.g. http://127.0.0.1:41234/graphql */
  readonly url: string;
  readonly subscriptionsUrl: string;
  readonly pid: number;
  /** Milliseconds from spawn to the ready banner. */
  readonly startMs: number;
  /** The last 64 KiB it printed, stdout and stderr together. */
  output(): string;
  /** How it exited ('code 1', 'signal SIGKILL'), or null while it runs. */
  exitStatus(): string | null;
  /** Ctrl-C, then SIGKILL if it has not exited within 15 s. */
  stop(): Promise<void>;
}

export async function startApiProcess(options: ApiProcessOptions): Promise<ApiProcess> {
  const inherited = { ...process.env };
  delete inherited.API_TOKEN;
  delete inherited.DATABASE_URL;
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArguments ?? []), API_BIN], {
    cwd: REPOSITORY_ROOT,
    env: {
      ...inherited,
      DATABASE_URL: options.databaseUrl,
      DATA_DIR: options.dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      // Thousands of subscribers, each on its own WebSocket, all from this machine's address.
      MAX_CONNECTIONS_PER_CLIENT: '1000000',
      ...options.environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: string) => {
    output = (output + chunk).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.setEncoding('utf8').on('data', append);
  child.stderr.setEncoding('utf8').on('data', append);
  let exitStatus: string | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    }),
  );

  const stop = async () => {
    if (exitStatus !== null) return;
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.name} did not start within ${options.startTimeoutMs} ms:\n${output}`)),
        options.startTimeoutMs,
      );
      child.stdout.on('data', () => {
        const match = READY.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited during start-up (${exitStatus}):\n${output}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name: options.name,
    url,
    subscriptionsUrl: url.replace(/^http/, 'ws'),
    pid: child.pid!,
    startMs: performance.now() - started,
    output: () => output,
    exitStatus: () => exitStatus,
    stop,
  };
}
