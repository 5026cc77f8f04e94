// Resident memory of a process on Linux, from /proc/<pid>/status (VmRSS), as `ps` and `top` report it.
import fs from 'node:fs/promises';

/** VmRSS in bytes, or null when the process is gone or /proc is not there. */
export async function residentSetBytes(pid: number): Promise<number | null> {
  let status: string;
  try {
    status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

export function formatMiB(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
