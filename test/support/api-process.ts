// The real API server and training workers as users start them (`resnet-lab-api`, `resnet-lab-worker`), in child
// processes, with a GraphQL client over HTTP and WebSocket for end-to-end tests.
import { execFileSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { spawnUntilReady } from './ready-process.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const API_BIN = path.join(root, 'apps', 'api', 'bin', 'resnet-lab-api.js');
const WORKER_BIN = path.join(root, 'apps', 'api', 'bin', 'resnet-lab-worker.js');
const STARTUP_TIMEOUT_MS = 60_000;

export interface GraphQLResult<Data> {
  readonly data?: Data | null;
  readonly errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
}

export interface ApiProcess {
  readonly url: string;
  readonly subscriptionsUrl: string;
  readonly process: ChildProcess;
  /** Everything the server printed. */
  output(): string;
  request<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GraphQLResult<Data>>;
  /** A graphql-ws client; closed by stop(). */
  subscriptions(token?: string): Client;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash or a power cut would stop it. */
  kill(): Promise<void>;
}

export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const { child, ready, output, exited } = await spawnUntilReady('The API', [API_BIN], {
    cwd: root,
    env: { PORT: '0', ...env },
    // The banner ends with the mutations line: wait for all of it, tests read it.
    ready: /ready at (\S+)[\s\S]*mutations: /,
    timeoutMs: STARTUP_TIMEOUT_MS,
  });
  const url = ready[1]!;
  const clients: Client[] = [];
  const closeClients = async () => {
    await Promise.all(clients.map(async (client) => client.dispose()));
  };
  return {
    url,
    subscriptionsUrl: url.replace(/^http/, 'ws'),
    process: child,
    output,
    async request<Data>(query: string, variables: Record<string, unknown> = {}, token?: string) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLResult<Data>;
    },
    subscriptions(token?: string) {
      const client = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await closeClients();
      child.kill('SIGTERM');
      await exited;
      return child.exitCode;
    },
    async kill() {
      await closeClients();
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface WorkerProcess {
  readonly process: ChildProcess;
  output(): string;
  /** Pids of its training child processes (one while it trains a run). */
  trainingPids(): number[];
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash or a power cut would stop it. */
  kill(): Promise<void>;
}

/** A training worker, joining the database of `env` (DATABASE_URL, or the embedded server of DATA_DIR). */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const { child, output, exited } = await spawnUntilReady('A worker', [WORKER_BIN], {
    cwd: root,
    env,
    ready: /ready on /,
    timeoutMs: STARTUP_TIMEOUT_MS,
  });
  return {
    process: child,
    output,
    trainingPids() {
      try {
        // Exited children that are not reaped yet (state Z) are not training any more.
        return execFileSync('ps', ['-o', 'pid=,stat=,args=', '--ppid', String(child.pid)], { encoding: 'utf8' })
          .split('\n')
          .map((line) => line.trim().split(/\s+/))
          .filter(
            ([, state, ...command]) => state && !state.startsWith('Z') && command.join(' ').includes('training-worker'),
          )
          .map(([pid]) => Number(pid));
      } catch {
        return []; // ps exits 1 when there are none
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return child.exitCode;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Collects a subscription's events until it completes (or fails, rejecting). */
export async function collect<Event>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  onEvent: (event: Event) => void = () => {},
): Promise<Event[]> {
  const events: Event[] = [];
  for await (const result of client.iterate<Record<string, Event>>({ query, variables })) {
    if (result.errors) throw new Error(`Subscription error: ${JSON.stringify(result.errors)}`);
    const event = Object.values(result.data!)[0]!;
    events.push(event);
    onEvent(event);
  }
  return events;
}
