// The frame of a benchmark process: runs its measurements with a watchdog, stops everything it started on any exit
// (an error, the watchdog, Ctrl-C), and tells what the API processes printed when something broke. Exit code 0
// whatever the figures are, 1 when something broke, 130 when interrupted.
import { describeError } from '../src/error-reporter.js';
import type { ApiProcess } from './api-process.js';
import { CleanupStack } from './cleanup-stack.js';

export interface BenchmarkLimits {
  /** The whole benchmark's time limit. */
  readonly timeoutMs: number;
  /** How long each cleanup step may take. */
  readonly cleanupStepTimeoutMs: number;
}

/** Runs `measure`, which registers what it starts on `cleanup` and the API processes it starts in `apis`. */
export async function runBenchmark(
  name: string,
  limits: BenchmarkLimits,
  measure: (cleanup: CleanupStack, apis: ApiProcess[]) => Promise<void>,
): Promise<number> {
  const cleanup = new CleanupStack();
  const stopAndExit = async (code: number, why: string) => {
    console.error(why);
    reportCleanup(await cleanup.run(limits.cleanupStepTimeoutMs));
    process.exit(code);
  };
  const watchdog = setTimeout(
    () => void stopAndExit(1, `The benchmark did not finish within ${limits.timeoutMs / 1000} s; stopping.`),
    limits.timeoutMs,
  );
  const onSignal = (signal: NodeJS.Signals) => void stopAndExit(130, `Interrupted (${signal}); stopping.`);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = performance.now();
  const apis: ApiProcess[] = [];
  try {
    await measure(cleanup, apis);
    console.log(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s (cleanup follows).`);
    return 0;
  } catch (error) {
    // What the API processes said is usually why.
    for (const api of apis) {
      const tail = api.output().trim().split('\n').slice(-15).join('\n    ');
      console.error(`${api.name} (pid ${api.pid}, ${api.exitStatus() ?? 'running'}) printed, last lines:\n    ${tail}`);
    }
    console.error(`The ${name} failed: ${describeError(error)}`);
    return 1;
  } finally {
    clearTimeout(watchdog);
    reportCleanup(await cleanup.run(limits.cleanupStepTimeoutMs));
  }
}

function reportCleanup(failures: readonly string[]): void {
  for (const failure of failures) console.error(`Cleanup: ${failure}`);
}
