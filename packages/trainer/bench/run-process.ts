// Runs a child process line by line for the benchmark, and stops every child still running when the benchmark is
// interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';

export interface ProcessLines {
  readonly onStdout?: (line: string) => void;
  readonly onStderr?: (line: string) => void;
  /** The child's environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface ProcessOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Wall time from start to exit, seconds. */
  readonly seconds: number;
  /** The last lines of stderr, for the error message of a failed run. */
  readonly stderrTail: readonly string[];
}

const STDERR_TAIL_LINES = 20;
const running = new Set<ChildProcess>();

/** Resolves when the process exits, whatever its exit code; rejects only when it cannot be started. */
export function runProcess(
  command: string,
  args: readonly string[],
  lines: ProcessLines = {},
): Promise<ProcessOutcome> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: lines.env });
  running.add(child);
  const stderrTail: string[] = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => lines.onStdout?.(line));
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    lines.onStderr?.(line);
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      running.delete(child);
      reject(new Error(`Cannot start ${command}: ${error.message}`, { cause: error }));
    });
    // 'close' rather than 'exit': every line of stdout and stderr has been read by then.
    child.once('close', (exitCode, signal) => {
      running.delete(child);
      resolve({ exitCode, signal, seconds: (performance.now() - started) / 1000, stderrTail });
    });
  });
}

/** Sends SIGTERM to every child started by runProcess that has not exited. */
export function stopRunningProcesses(): void {
  for (const child of running) child.kill('SIGTERM');
}

/** On Ctrl-C or SIGTERM: stops the child processes a benchmark started and exits 130, so none keeps running. */
export function stopProcessesOnSignals(): void {
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`Interrupted (${signal}); stopping.`);
    stopRunningProcesses();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** "exit code 1" or "signal SIGKILL", then the tail of stderr, for errors. */
export function describeFailure(what: string, outcome: ProcessOutcome): string {
  const status = outcome.signal === null ? `exit code ${outcome.exitCode}` : `signal ${outcome.signal}`;
  const tail = outcome.stderrTail.length === 0 ? '' : `; its last lines:\n    ${outcome.stderrTail.join('\n    ')}`;
  return `${what} failed (${status})${tail}`;
}
