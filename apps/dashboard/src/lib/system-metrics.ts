// The run page's system metrics: the samples as chart rows (seconds since the first sample; memory in MiB) and a
// sentence per resource for screen readers, e.g. "CPU 180% mean, 195% peak."
import type { RunSystemMetricsQuery } from '../generated/graphql';

export type SystemMetricPoint = NonNullable<RunSystemMetricsQuery['run']>['systemMetrics'][number];

const MIB = 2 ** 20;
const GIB = 2 ** 30;

export interface SystemMetricRow extends Record<string, number | null> {
  /** Seconds since the first sample. */
  readonly second: number;
  readonly cpu: number;
  /** MiB, as all the memory columns. */
  readonly memory: number;
  readonly systemMemory: number | null;
  readonly gpu: number | null;
  readonly gpuMemory: number | null;
}

export function systemMetricRows(points: readonly SystemMetricPoint[]): SystemMetricRow[] {
  const start = points[0] ? Date.parse(points[0].at) : 0;
  const mib = (bytes: number | null) => (bytes === null ? null : bytes / MIB);
  return points.map((point) => ({
    second: Math.round((Date.parse(point.at) - start) / 1000),
    cpu: point.cpuPercent,
    memory: point.memoryBytes / MIB,
    systemMemory: mib(point.systemMemoryUsedBytes),
    gpu: point.gpuUtilization,
    gpuMemory: mib(point.gpuMemoryBytes),
  }));
}

/** Whether any sample has GPU figures: the run trains on a GPU. */
export function hasGpu(points: readonly SystemMetricPoint[]): boolean {
  return points.some((point) => point.gpuUtilization !== null);
}

/**
 * The mean and peak of each resource over the samples: "CPU 180% mean, 195% peak. Training process memory 350 MiB
 * mean, 420 MiB peak.", then the machine's memory and the GPU's figures where samples have them; null without
 * samples.
 */
export function systemMetricSummary(points: readonly SystemMetricPoint[]): string | null {
  if (points.length === 0) return null;
  const sentences = [
    meanAndPeak(
      'CPU',
      points.map((point) => point.cpuPercent),
      percent,
    ),
    meanAndPeak(
      'Training process memory',
      points.map((point) => point.memoryBytes),
      bytes,
    ),
  ];
  const machine = present(points.map((point) => point.systemMemoryUsedBytes));
  if (machine.length > 0) sentences.push(meanAndPeak("The machine's memory in use", machine, bytes));
  if (hasGpu(points)) {
    sentences.push(meanAndPeak('GPU', present(points.map((point) => point.gpuUtilization)), percent));
    sentences.push(meanAndPeak('GPU memory', present(points.map((point) => point.gpuMemoryBytes)), bytes));
  }
  return `${sentences.join(' ')} Over ${points.length} sample${points.length === 1 ? '' : 's'}.`;
}

function meanAndPeak(what: string, values: readonly number[], format: (value: number) => string): string {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return `${what} ${format(mean)} mean, ${format(Math.max(...values))} peak.`;
}

function present(values: readonly (number | null)[]): number[] {
  return values.filter((value): value is number => value !== null);
}

function percent(value: number): string {
  return `${Math.round(value)}%`;
}

/** 350 MiB, 1.5 GiB. */
export function bytes(value: number): string {
  const mib = Math.round(value / MIB);
  return mib >= 1024 ? `${(value / GIB).toFixed(1)} GiB` : `${mib} MiB`;
}
