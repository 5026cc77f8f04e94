// Undo steps registered as resources are acquired (server, processes, sockets, temporary directories), run in
// reverse order once, on success, failure or interruption alike.

export class CleanupStack {
  private readonly steps: { readonly what: string; readonly undo: () => Promise<void> }[] = [];
  private running: Promise<string[]> | null = null;

  /** Registers an undo step; `what` names it in the failures that run() reports. */
  defer(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  /** Runs every step, newest first, each within `timeoutMs`; returns what failed, with why, without throwing. */
  run(timeoutMs: number): Promise<string[]> {
    return (this.running ??= (async () => {
      const failures: string[] = [];
      for (const { what, undo } of this.steps.splice(0).reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs} ms`)), timeoutMs);
        });
        try {
          await Promise.race([undo(), timeout]);
        } catch (error) {
          failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          clearTimeout(timer);
        }
      }
      return failures;
    })());
  }
}
