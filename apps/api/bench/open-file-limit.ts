// How many files and sockets this process may hold open: the ceiling on WebSocket clients one process can run.
import fs from 'node:fs/promises';

/** The soft limit on open files of this process (sockets count), from /proc/self/limits; null when unknown. */
export async function openFileLimit(): Promise<number | null> {
  try {
    const limits = await fs.readFile('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (!match) return null;
    return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return null;
  }
}
