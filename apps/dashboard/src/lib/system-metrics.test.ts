import { describe, expect, it } from 'vitest';
import { bytes, systemMetricRows, systemMetricSummary, type SystemMetricPoint } from './system-metrics';

const MIB = 2 ** 20;

function point(second: number, cpuPercent: number, memoryMiB: number, gpu: [number, number] | null = null) {
  return {
    at: new Date(Date.UTC(2026, 11, 2, 12, 0, second)).toISOString(),
    cpuPercent,
    memoryBytes: memoryMiB * MIB,
    systemMemoryUsedBytes: second === 8 ? null : 4096 * MIB,
    gpuUtilization: gpu?.[0] ?? null,
    gpuMemoryBytes: gpu === null ? null : gpu[1] * MIB,
  } satisfies SystemMetricPoint;
}

describe('systemMetricSummary', () => {
  it('gives the mean and peak of CPU and memory', () => {
    expect(systemMetricSummary([point(0, 165, 300), point(5, 180, 350), point(10, 195, 400)])).toBe(
      'CPU 180% mean, 195% peak. Training process memory 350 MiB mean, 400 MiB peak. ' +
        "The machine's memory in use 4.0 GiB mean, 4.0 GiB peak. Over 3 samples.",
    );
  });

  it("adds the GPU's where samples have them, and says nothing without samples", () => {
    expect(systemMetricSummary([point(0, 100, 1024, [80, 2048]), point(5, 100, 2048, [90, 3072])])).toBe(
      'CPU 100% mean, 100% peak. Training process memory 1.5 GiB mean, 2.0 GiB peak. ' +
        "The machine's memory in use 4.0 GiB mean, 4.0 GiB peak. GPU 85% mean, 90% peak. " +
        'GPU memory 2.5 GiB mean, 3.0 GiB peak. Over 2 samples.',
    );
    expect(systemMetricSummary([])).toBeNull();
  });
});

describe('systemMetricRows', () => {
  it('puts samples at seconds since the first, with memory in MiB', () => {
    expect(systemMetricRows([point(3, 120, 300), point(8, 150, 310.5, [40, 512])])).toEqual([
      { second: 0, cpu: 120, memory: 300, systemMemory: 4096, gpu: null, gpuMemory: null },
      { second: 5, cpu: 150, memory: 310.5, systemMemory: null, gpu: 40, gpuMemory: 512 },
    ]);
  });
});

describe('bytes', () => {
  it('reads in MiB below a GiB and in GiB from one', () => {
    expect(bytes(350 * MIB)).toBe('350 MiB');
    expect(bytes(1023.4 * MIB)).toBe('1023 MiB');
    expect(bytes(1023.6 * MIB)).toBe('1.0 GiB');
    expect(bytes(1024 * MIB)).toBe('1.0 GiB');
  });
});
