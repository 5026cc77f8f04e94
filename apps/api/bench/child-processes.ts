// The direct children of a process on Linux, from /proc/<pid>/task/<tid>/children: the API's evaluation workers.
import fs from 'node:fs/promises';

/** Process ids of `pid`'s children, in no particular order; empty when it has none, is gone or /proc is not there. */
export async function childProcesses(pid: number): Promise<number[]> {
  let threads: string[];
  try {
    threads = await fs.readdir(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children = await Promise.all(
    threads.map((thread) => fs.readFile(`/proc/${pid}/task/${thread}/children`, 'utf8').catch(() => '')),
  );
  return children.flatMap((list) =>
    list
      .split(' ')
      .filter((id) => id !== '')
      .map(Number),
  );
}
