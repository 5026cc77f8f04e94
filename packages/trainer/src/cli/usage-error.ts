// A command line the CLI cannot run; its message says what was wrong and what is allowed.
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** Parses a numeric option, so that `--classes ten` fails by name instead of becoming NaN further on. */
export function parseNumberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new UsageError(`Expected --${name} to be a number, got '${value}'.`);
  }
  return parsed;
}

/** Parses an option that counts something (steps, batches): a whole number of at least 1. */
export function parsePositiveIntegerOption(name: string, value: string): number {
  const parsed = parseNumberOption(name, value)!;
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new UsageError(`Expected --${name} to be a positive integer, got '${value}'.`);
  }
  return parsed;
}
