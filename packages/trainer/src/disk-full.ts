// A full disk, recognized wherever it surfaces and told in one sentence: the place being written, the setting that
// chooses it, the space left there and what to do. It surfaces as Node's ENOSPC or EDQUOT, as PostgreSQL's
// SQLSTATE 53100 disk_full (through pg, or inside a Prisma driver adapter error), or only as the OS message in the
// output of a tool such as initdb.

/** Node's error codes for a full disk and an exhausted quota. */
const ERRNO_CODES: ReadonlySet<unknown> = new Set(['ENOSPC', 'EDQUOT']);
/** PostgreSQL's disk_full condition (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
const POSTGRES_DISK_FULL = '53100';
/** strerror(ENOSPC) and strerror(EDQUOT), as tools that report only text print them. */
const OS_MESSAGE = /No space left on device|Disk quota exceeded/i;
const MEBIBYTE = 1024 * 1024;

export interface DiskFullDetails {
  /** What was being written, e.g. 'checkpoint' or 'the database': the message then reads "writing <what> to <path>". */
  readonly what?: string | undefined;
  /** The directory or file being written. */
  readonly path: string;
  /** Size of what was being written, when known: the message then says "writing <what> (<size>) to <path>". */
  readonly bytes?: number | undefined;
  /** The setting that chooses that place (e.g. 'DATA_DIR'), named in the advice; none when no setting does. */
  readonly setting?: string | undefined;
  /** Bytes free there (see freeSpace); null when unknown. */
  readonly freeBytes: number | null;
  /** For a check before writing: the bytes that were needed and not free. */
  readonly neededBytes?: number | undefined;
}

/** A write that failed, or would fail, for lack of disk space; the message says where and what to do. */
export class DiskFullError extends Error {
  constructor(
    readonly details: DiskFullDetails,
    options?: ErrorOptions,
  ) {
    super(describeDiskFull(details), options);
    this.name = 'DiskFullError';
  }
}

/**
 * "No space left on device writing checkpoint (84 MiB) to /srv/runs/x/checkpoints/last (ARTIFACT_DIR): 0.0 MiB free;
 * free some space or set ARTIFACT_DIR to another disk." With `neededBytes`: "Not enough free space for /srv/data
 * (DATA_DIR): 3.0 MiB free, at least 64 MiB needed; free some space or set DATA_DIR to another disk."
 */
export function describeDiskFull(details: DiskFullDetails): string {
  const { what, path, bytes, setting, freeBytes, neededBytes } = details;
  const place = `${path}${setting ? ` (${setting})` : ''}`;
  const advice = `free some space or ${setting ? `set ${setting} to another disk` : 'write to another disk'}.`;
  const free = freeBytes === null ? 'free space unknown' : `${mebibytes(freeBytes)} MiB free`;
  if (neededBytes !== undefined) {
    return `Not enough free space for ${place}: ${free}, at least ${mebibytes(neededBytes)} MiB needed; ${advice}`;
  }
  const written = what ? `${what}${bytes === undefined ? '' : ` (${mebibytes(bytes)} MiB)`} to ` : '';
  return `No space left on device writing ${written}${place}: ${free}; ${advice}`;
}

/** Whether the error, or any error in its chain of causes, reports a full disk or an exhausted quota. */
export function isDiskFull(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let link = error; link !== undefined && link !== null && !seen.has(link); link = causeOf(link)) {
    seen.add(link);
    if (link instanceof DiskFullError) return true;
    if (typeof link === 'string') return OS_MESSAGE.test(link);
    if (typeof link !== 'object') return false;
    const { code, originalCode, message, originalMessage } = link as Record<string, unknown>;
    // pg's DatabaseError carries the SQLSTATE as `code`; Prisma's driver adapters keep it as `originalCode`.
    if (ERRNO_CODES.has(code) || code === POSTGRES_DISK_FULL || originalCode === POSTGRES_DISK_FULL) return true;
    if ([message, originalMessage].some((text) => typeof text === 'string' && OS_MESSAGE.test(text))) return true;
  }
  return false;
}

/**
 * The line of the error's chain in which the OS or PostgreSQL reported the full disk, e.g. `FATAL:  could not write
 * lock file "postmaster.pid": No space left on device` in the log tail of a server that did not start (the last such
 * line of the first error that has one: the newest of a log); null when none says it in words.
 */
export function diskFullEvidence(error: unknown): string | null {
  const seen = new Set<unknown>();
  for (let link = error; typeof link === 'object' && link !== null && !seen.has(link); link = causeOf(link)) {
    seen.add(link);
    if (link instanceof DiskFullError) continue;
    const { message, originalMessage } = link as Record<string, unknown>;
    const lines = [message, originalMessage]
      .filter((text): text is string => typeof text === 'string')
      .flatMap((text) => text.split('\n'))
      .filter((line) => OS_MESSAGE.test(line));
    if (lines.length > 0) return lines.at(-1)!.trim();
  }
  return null;
}

function causeOf(link: unknown): unknown {
  return typeof link === 'object' && link !== null && 'cause' in link ? link.cause : undefined;
}

/** 0.3 and 9.9 below 10 MiB, whole mebibytes above. */
function mebibytes(bytes: number): string {
  const value = bytes / MEBIBYTE;
  return value < 10 ? value.toFixed(1) : String(Math.floor(value));
}
