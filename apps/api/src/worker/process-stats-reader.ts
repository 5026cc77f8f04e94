// Reads a process's CPU time and resident memory from Linux's /proc, the machine's memory in use from /proc/meminfo,
// and the GPU's utilization and memory from `nvidia-smi` (proc(5); nvidia-smi --help-query-gpu). Elsewhere than on
// Linux a process reads as null, and the worker records no samples.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import type { ProcessStatsReader } from './system-metrics-sampler.js';

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on every architecture Linux runs on today. */
const USER_HZ = 100;
const MEBIBYTE = 1024 * 1024;
/** An nvidia-smi that hangs (a GPU in a bad state) fails after this long. */
const NVIDIA_SMI_TIMEOUT_MS = 5000;

export interface ProcessStatsReaderOptions {
  /** The nvidia-smi command; default `nvidia-smi` from PATH. */
  readonly nvidiaSmi?: string;
}

export function createProcessStatsReader(options: ProcessStatsReaderOptions = {}): ProcessStatsReader {
  const nvidiaSmi = options.nvidiaSmi ?? 'nvidia-smi';
  /** Set once nvidia-smi turned out not to exist: it is not asked again. */
  let noNvidiaSmi = false;
  return {
    async processStats(pid) {
      try {
        const [stat, status] = await Promise.all([
          fs.readFile(`/proc/${pid}/stat`, 'utf8'),
          fs.readFile(`/proc/${pid}/status`, 'utf8'),
        ]);
        const rssBytes = parseVmRss(status);
        return rssBytes === null ? null : { cpuSeconds: parseCpuSeconds(stat), rssBytes };
      } catch {
        return null; // gone, or no /proc here
      }
    },
    async systemMemoryUsedBytes() {
      try {
        return parseMemoryUsed(await fs.readFile('/proc/meminfo', 'utf8'));
      } catch {
        return os.totalmem() - os.freemem();
      }
    },
    async gpuStats() {
      if (noNvidiaSmi) return null;
      const output = await new Promise<string | null>((resolve) =>
        execFile(
          nvidiaSmi,
          ['--query-gpu=utilization.gpu,memory.used', '--format=csv,noheader,nounits'],
          { timeout: NVIDIA_SMI_TIMEOUT_MS },
          (error, stdout) => {
            if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') noNvidiaSmi = true;
            resolve(error ? null : stdout);
          },
        ),
      );
      return output === null ? null : parseNvidiaSmi(output);
    },
  };
}

/**
 * User plus system CPU seconds from /proc/<pid>/stat. Its second field, the command name in parentheses, may hold
 * spaces and parentheses itself, so fields are counted from the last ')': utime and stime are fields 14 and 15.
 */
export function parseCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state).
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** Resident memory in bytes from /proc/<pid>/status (`VmRSS: 123456 kB`); null for a process without one (zombie). */
export function parseVmRss(status: string): number | null {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

/** Memory in use from /proc/meminfo: MemTotal minus MemAvailable, in bytes. */
export function parseMemoryUsed(meminfo: string): number | null {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(meminfo);
    return match ? Number(match[1]) * 1024 : null;
  };
  const total = field('MemTotal');
  const available = field('MemAvailable');
  return total === null || available === null ? null : total - available;
}

/**
 * The first GPU's figures from `nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits`
 * (one `<percent>, <MiB>` line per GPU; TensorFlow trains on the first); null when it reports none ([N/A]).
 */
export function parseNvidiaSmi(output: string): { utilization: number; memoryBytes: number } | null {
  const first = output.split('\n').find((line) => line.trim() !== '');
  if (!first) return null;
  const [utilization, memoryMiB] = first.split(',').map((value) => Number(value.trim()));
  if (!Number.isFinite(utilization) || !Number.isFinite(memoryMiB)) return null;
  return { utilization: utilization!, memoryBytes: memoryMiB! * MEBIBYTE };
}
