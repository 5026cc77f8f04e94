// Samples what a run's training process uses: its CPU (time used per wall time, from one sample to the next), its
// resident memory, the machine's memory in use and, for a run that trains on a GPU, the GPU's utilization and memory.
// Where the numbers come from is a ProcessStatsReader (process-stats-reader.ts: /proc and nvidia-smi).

/** What the sampler reads. */
export interface ProcessStatsReader {
  /**
   * CPU seconds (user and system, all threads) the process has used since it started, and its resident memory in
   * bytes; null when it cannot be read (the process is gone, or the platform has no /proc).
   */
  processStats(pid: number): Promise<{ readonly cpuSeconds: number; readonly rssBytes: number } | null>;
  /** Bytes of memory in use on this machine; null when unknown. */
  systemMemoryUsedBytes(): Promise<number | null>;
  /** The GPU's utilization (0 to 100) and its memory in use (bytes); null when there is no GPU to ask. */
  gpuStats(): Promise<{ readonly utilization: number; readonly memoryBytes: number } | null>;
}

/** One sample, as the SystemMetric row stores it. */
export interface SystemMetricSample {
  readonly at: Date;
  /** CPU time per wall time since the previous sample, in percent: 200 is two cores busy. */
  readonly cpuPercent: number;
  /** Resident memory of the process. */
  readonly memoryBytes: number;
  readonly systemMemoryUsedBytes: number | null;
  /** Null unless the run trains on a GPU (useGpu). */
  readonly gpuUtilization: number | null;
  readonly gpuMemoryBytes: number | null;
}

export class SystemMetricsSampler {
  private previous: { readonly at: number; readonly cpuSeconds: number } | null = null;
  private gpu = false;

  constructor(
    private readonly reader: ProcessStatsReader,
    private readonly pid: number,
  ) {}

  /** From now on, samples include the GPU's figures: the run trains on one. */
  useGpu(): void {
    this.gpu = true;
  }

  /**
   * The sample at `now` (ms since the epoch). CPU use is a difference, so the first successful read only sets the
   * baseline and gives null, as does a read of a process that cannot be read.
   */
  async sample(now: number): Promise<SystemMetricSample | null> {
    const stats = await this.reader.processStats(this.pid);
    if (!stats) return null;
    const previous = this.previous;
    this.previous = { at: now, cpuSeconds: stats.cpuSeconds };
    if (!previous || now <= previous.at) return null;
    const [systemMemoryUsedBytes, gpu] = await Promise.all([
      this.reader.systemMemoryUsedBytes(),
      this.gpu ? this.reader.gpuStats() : null,
    ]);
    return {
      at: new Date(now),
      cpuPercent: ((stats.cpuSeconds - previous.cpuSeconds) / ((now - previous.at) / 1000)) * 100,
      memoryBytes: stats.rssBytes,
      systemMemoryUsedBytes,
      gpuUtilization: gpu?.utilization ?? null,
      gpuMemoryBytes: gpu?.memoryBytes ?? null,
    };
  }
}

export interface Sampling {
  /** Stops sampling, after the sample being taken (and recorded), if any. */
  stop(): Promise<void>;
}

/**
 * Samples now (the baseline) and then every `intervalMs`, handing each sample to `record`; a tick that comes while
 * the previous one is still at work is skipped. What fails is passed to `onError`: sampling goes on.
 */
export function sampleEvery(
  sampler: SystemMetricsSampler,
  intervalMs: number,
  record: (sample: SystemMetricSample) => Promise<void>,
  onError: (error: unknown) => void,
): Sampling {
  let working: Promise<void> | null = null;
  const tick = () => {
    if (working) return;
    working = sampler
      .sample(Date.now())
      .then((sample) => (sample ? record(sample) : undefined))
      .catch(onError)
      .finally(() => (working = null));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await working;
    },
  };
}
