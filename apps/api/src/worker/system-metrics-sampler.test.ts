import { describe, expect, it } from 'vitest';
import { SystemMetricsSampler, sampleEvery, type ProcessStatsReader } from './system-metrics-sampler.js';

const GIB = 1024 ** 3;

/** A reader that answers from a script of readings, and counts what it was asked. */
function fakeReader(cpuSeconds: (number | null)[]) {
  const asked = { processStats: [] as number[], gpuStats: 0 };
  let index = 0;
  const reader: ProcessStatsReader = {
    processStats(pid) {
      asked.processStats.push(pid);
      const seconds = cpuSeconds[index++];
      return Promise.resolve(
        seconds === null || seconds === undefined ? null : { cpuSeconds: seconds, rssBytes: 0.5 * GIB },
      );
    },
    systemMemoryUsedBytes: () => Promise.resolve(6 * GIB),
    gpuStats() {
      asked.gpuStats++;
      return Promise.resolve({ utilization: 87, memoryBytes: 3 * GIB });
    },
  };
  return { reader, asked };
}

describe('SystemMetricsSampler', () => {
  it('gives CPU time per wall time since the previous sample, in percent, and the memory figures', async () => {
    const { reader, asked } = fakeReader([10, 13.5, 17.5]);
    const sampler = new SystemMetricsSampler(reader, 4242);
    // The first reading is the baseline.
    expect(await sampler.sample(1_000_000)).toBeNull();
    // 3.5 CPU seconds in 2 wall seconds: 1.75 cores busy.
    expect(await sampler.sample(1_002_000)).toEqual({
      at: new Date(1_002_000),
      cpuPercent: 175,
      memoryBytes: 0.5 * GIB,
      systemMemoryUsedBytes: 6 * GIB,
      gpuUtilization: null,
      gpuMemoryBytes: null,
    });
    // The GPU is not asked about for a run that does not train on one.
    expect(asked).toEqual({ processStats: [4242, 4242], gpuStats: 0 });
    sampler.useGpu();
    expect(await sampler.sample(1_004_000)).toEqual({
      at: new Date(1_004_000),
      cpuPercent: 200,
      memoryBytes: 0.5 * GIB,
      systemMemoryUsedBytes: 6 * GIB,
      gpuUtilization: 87,
      gpuMemoryBytes: 3 * GIB,
    });
    expect(asked.gpuStats).toBe(1);
  });

  it('gives null for a process that cannot be read, and measures from the last reading that could be', async () => {
    const { reader } = fakeReader([10, null, 12]);
    const sampler = new SystemMetricsSampler(reader, 1);
    expect(await sampler.sample(0)).toBeNull();
    expect(await sampler.sample(1000)).toBeNull();
    // 2 CPU seconds over the 4 seconds since the last reading.
    expect((await sampler.sample(4000))?.cpuPercent).toBe(50);
  });
});

describe('sampleEvery', () => {
  it('takes the baseline at once, records each sample after it, and records nothing once stopped', async () => {
    const { reader } = fakeReader([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const recorded: number[] = [];
    let resolveThird!: () => void;
    const third = new Promise<void>((resolve) => (resolveThird = resolve));
    const sampling = sampleEvery(
      new SystemMetricsSampler(reader, 1),
      5,
      (sample) => {
        recorded.push(sample.memoryBytes);
        if (recorded.length === 3) resolveThird();
        return Promise.resolve();
      },
      (error) => {
        throw error;
      },
    );
    await third;
    await sampling.stop();
    const afterStop = recorded.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(recorded).toHaveLength(afterStop);
    expect(recorded.slice(0, 3)).toEqual([0.5 * GIB, 0.5 * GIB, 0.5 * GIB]);
  });
});
