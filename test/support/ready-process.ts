// A server started as a child process for end-to-end tests, ready once its output matches a pattern.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ReadyProcess {
  readonly child: ChildProcess;
  /** The match of the readiness pattern, e.g. the URL the server printed. */
  readonly ready: RegExpExecArray;
  /** Everything it printed so far, stdout and stderr together. */
  readonly output: () => string;
  /** Resolves when it has exited. */
  readonly exited: Promise<void>;
}

/**
 * Runs `node <args>` with the test runner's environment, less the variables that would point a fresh server at
 * someone else's database or token, plus `env`; resolves once its stdout matches `ready`. Rejects, with all it
 * printed, when it exits first or takes longer than `timeoutMs`.
 */
export async function spawnUntilReady(
  what: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; ready: RegExp; timeoutMs: number },
): Promise<ReadyProcess> {
  const inherited = { ...process.env };
  delete inherited.API_TOKEN;
  delete inherited.DATABASE_URL;
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...inherited, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in time:\n${output}`)), options.timeoutMs);
    child.stdout.on('data', () => {
      const match = options.ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what} exited during start-up:\n${output}`));
    });
  });
  return { child, ready, output: () => output, exited };
}
