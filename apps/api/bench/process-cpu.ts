// CPU time that processes have used, from /proc/<pid>/stat (utime and stime, in clock ticks), to say where a
// phase's time went: the API processes, PostgreSQL, or the benchmark's own clients.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';

/** Clock ticks per second of /proc's times (USER_HZ): 100 on mainstream Linux. */
const TICKS_PER_SECOND = readTicksPerSecond();

interface ProcessTimes {
  readonly parentPid: number;
  /** utime + stime: the process's own CPU time, ms. */
  readonly ownMs: number;
  /** cutime + cstime: CPU time of its children that exited and were waited for, ms. */
  readonly reapedChildrenMs: number;
}

/** CPU time of one process (all its threads), ms; null when it is gone. */
export async function processCpuMs(pid: number): Promise<number | null> {
  return (await readTimes(pid))?.ownMs ?? null;
}

/**
 * CPU time of a PostgreSQL server, ms: the postmaster, every live backend and background process (its children),
 * and the children that have exited since it started, so that the difference between two readings is exact.
 */
export async function postgresCpuMs(postmasterPid: number): Promise<number | null> {
  const postmaster = await readTimes(postmasterPid);
  if (!postmaster) return null;
  let total = postmaster.ownMs + postmaster.reapedChildrenMs;
  const entries = await fs.readdir('/proc');
  const children = await Promise.all(
    entries.filter((entry) => /^\d+$/.test(entry)).map((entry) => readTimes(Number(entry))),
  );
  for (const child of children) if (child?.parentPid === postmasterPid) total += child.ownMs;
  return total;
}

async function readTimes(pid: number): Promise<ProcessTimes | null> {
  let stat: string;
  try {
    stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (number: number) => Number(fields[number - 3]);
  const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
  return {
    parentPid: field(4),
    ownMs: ms(field(14) + field(15)),
    reapedChildrenMs: ms(field(16) + field(17)),
  };
}

function readTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}
