// Recognises Node's system errors (ENOENT, EACCES, ...) by code, which is how fs reports them.

export function hasErrorCode(error: unknown, ...codes: string[]): boolean {
  const code = errorCode(error);
  return code !== undefined && codes.includes(code);
}

/** Whether `error` comes from the operating system (fs, net), as opposed to a bug or a validation error. */
export function isSystemError(error: unknown): boolean {
  return error instanceof Error && errorCode(error)?.startsWith('E') === true;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
