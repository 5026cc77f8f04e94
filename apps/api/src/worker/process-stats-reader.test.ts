import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createProcessStatsReader,
  parseCpuSeconds,
  parseMemoryUsed,
  parseNvidiaSmi,
  parseVmRss,
} from './process-stats-reader.js';

describe('the /proc parsers', () => {
  it('reads utime and stime (fields 14 and 15) past a command name with spaces and parentheses', () => {
    const stat = '4242 (node (tsx) x) R 1 4242 4242 0 -1 4194304 9000 0 12 0 1234 566 0 0 20 0 11 0 555 1 2 3';
    expect(parseCpuSeconds(stat)).toBe(18);
  });

  it('reads VmRSS in bytes, and the memory in use as MemTotal minus MemAvailable', () => {
    expect(parseVmRss('Name:\tnode\nVmPeak:\t  900000 kB\nVmRSS:\t  524288 kB\nThreads:\t11\n')).toBe(536_870_912);
    expect(parseVmRss('Name:\tnode\nState:\tZ (zombie)\n')).toBeNull();
    expect(parseMemoryUsed('MemTotal:       16384000 kB\nMemFree:  1000 kB\nMemAvailable:    4096000 kB\n')).toBe(
      12_582_912_000,
    );
  });

  it("reads the first GPU's utilization and memory from nvidia-smi's CSV, and null for [N/A]", () => {
    expect(parseNvidiaSmi('37, 2048\n0, 5\n')).toEqual({ utilization: 37, memoryBytes: 2_147_483_648 });
    expect(parseNvidiaSmi('[N/A], [N/A]\n')).toBeNull();
    expect(parseNvidiaSmi('')).toBeNull();
  });
});

describe('createProcessStatsReader', () => {
  it.runIf(process.platform === 'linux')('reads this process as process.memoryUsage and cpuUsage see it', async () => {
    const reader = createProcessStatsReader();
    const stats = await reader.processStats(process.pid);
    const rss = process.memoryUsage().rss;
    const usage = process.cpuUsage();
    expect(stats!.rssBytes / rss).toBeCloseTo(1, 1);
    // /proc counts in 10 ms ticks.
    expect(Math.abs(stats!.cpuSeconds - (usage.user + usage.system) / 1e6)).toBeLessThan(0.1);
    expect(await reader.processStats(2 ** 22 + 1)).toBeNull();
  });

  it('asks nvidia-smi for the GPU, and stops asking once it turns out to be missing', async () => {
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'nvidia-smi-'));
    try {
      const script = path.join(directory, 'nvidia-smi');
      await fs.writeFile(script, '#!/bin/sh\necho "$@" >> "$0.args"\necho "64, 1536"\n', { mode: 0o755 });
      expect(await createProcessStatsReader({ nvidiaSmi: script }).gpuStats()).toEqual({
        utilization: 64,
        memoryBytes: 1536 * 1024 * 1024,
      });
      expect(await fs.readFile(`${script}.args`, 'utf8')).toBe(
        '--query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits\n',
      );
      const later = path.join(directory, 'later');
      const missing = createProcessStatsReader({ nvidiaSmi: later });
      expect(await missing.gpuStats()).toBeNull();
      // Installed afterwards, it is not asked: the reader learnt that this machine has none.
      await fs.copyFile(script, later);
      expect(await missing.gpuStats()).toBeNull();
      expect(await createProcessStatsReader({ nvidiaSmi: later }).gpuStats()).toEqual({
        utilization: 64,
        memoryBytes: 1536 * 1024 * 1024,
      });
    } finally {
      await fs.rm(directory, { recursive: true, force: true });
    }
  });
});
