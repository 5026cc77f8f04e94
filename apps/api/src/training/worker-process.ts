// Starts a training worker process and tracks it: its messages, and how it ended when it ends without reporting.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WASM_THREADS_VARIABLE } from '@resnet-lab/trainer';
import { OutputLines } from './output-lines.js';
import type { WorkerMessage, WorkerRequest } from './worker-protocol.js';

const WORKER_ENTRY = fileURLToPath(new URL('./training-worker.ts', import.meta.url));
/** The worker is TypeScript like the rest of the repository: tsx's loader runs it without a build step. */
const TSX_LOADER = import.meta.resolve('tsx');
/** How much of the worker's stderr to keep for the error message of a crash. */
const STDERR_TAIL_CHARS = 2000;
/** Longest output line passed on; the rest of a longer one is dropped (RunLogWriter keeps 4,000 characters of it). */
const MAX_OUTPUT_LINE_CHARS = 8000;

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The end of what the worker wrote to stderr. */
  readonly stderrTail: string;
}

export interface WorkerHandle {
  readonly pid: number;
  send(request: WorkerRequest): void;
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<WorkerExit>;
  kill(signal?: NodeJS.Signals): void;
}

/** Which of a worker's outputs a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/** Receives each line the worker prints, in order per stream, all of them before `exited` resolves. */
export type OnOutput = (stream: OutputStream, line: string) => void;

export type StartWorker = (onMessage: (message: WorkerMessage) => void, onOutput?: OnOutput) => WorkerHandle;

/** Starts workers that use every core: evaluations, and runs when one runs at a time. */
export const startWorkerProcess: StartWorker = workerStarter({});

/** Starts workers with `env` on top of this process's environment. */
export function workerStarter(env: Readonly<Record<string, string>>): StartWorker {
  return (onMessage, onOutput) => startWorker(onMessage, env, onOutput);
}

/**
 * The thread counts for each of `concurrency` runs at once on `cores` cores: each run's wasm threads
 * (RESNET_LAB_WASM_THREADS) and oneDNN's OpenMP threads (OMP_NUM_THREADS) get an equal share of the cores, so that
 * concurrent runs do not each start a thread per core and fight over them. A variable already set in `env` is the
 * operator's choice and is kept; one run at a time keeps every core.
 */
export function threadsPerRun(
  concurrency: number,
  cores: number,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  if (concurrency <= 1) return {};
  const share = String(Math.max(1, Math.floor(cores / concurrency)));
  const threads: Record<string, string> = {};
  for (const variable of [WASM_THREADS_VARIABLE, 'OMP_NUM_THREADS']) {
    if (env[variable] === undefined) threads[variable] = share;
  }
  return threads;
}

function startWorker(
  onMessage: (message: WorkerMessage) => void,
  env: Readonly<Record<string, string>>,
  onOutput: OnOutput | undefined,
): WorkerHandle {
  const child: ChildProcess = fork(WORKER_ENTRY, [], {
    env: { ...process.env, ...env },
    execArgv: ['--import', TSX_LOADER],
    stdio: ['ignore', onOutput ? 'pipe' : 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  let stderrTail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  if (onOutput) {
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = new OutputLines((line) => onOutput(stream, line), MAX_OUTPUT_LINE_CHARS);
      child[stream]!.setEncoding('utf8');
      child[stream]!.on('data', (chunk: string) => lines.push(chunk));
      child[stream]!.on('end', () => lines.end());
    }
  }
  child.on('message', (message: WorkerMessage) => onMessage(message));
  // 'close' rather than 'exit': it comes once the output pipes are drained too, so no line arrives after it.
  const exited = new Promise<WorkerExit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stderrTail }));
  });
  return {
    pid: child.pid!,
    send: (request) => {
      if (child.connected) child.send(request);
    },
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
  };
}

/** Says how a worker that never reported a result ended. */
export function describeUnexpectedExit(exit: WorkerExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
  const detail = exit.stderrTail.trim().split('\n').slice(-5).join('\n');
  return `The training worker ${how} before reporting a result.${detail ? ` Its last output:\n${detail}` : ''}`;
}
