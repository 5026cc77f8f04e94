// Runs tasks one after another in the order they were given, whatever their callers do meanwhile.

export class OneAtATime {
  private last: Promise<unknown> = Promise.resolve();

  /** Starts `task` once every task given before it has settled; settles as it does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.last.then(task);
    this.last = result.catch(() => undefined);
    return result;
  }
}
