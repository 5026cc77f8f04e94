// CPU seconds each process used during each phase of the benchmark, against the phase's wall time: on a machine
// with few cores it tells whether a phase was bound by the API, by PostgreSQL or by the benchmark's own clients.
import os from 'node:os';
import { formatTable } from './format-table.js';

export interface MeteredProcess {
  readonly name: string;
  /** Total CPU time so far, ms; null when it cannot be read. */
  readonly cpuMs: () => Promise<number | null>;
}

export interface CpuPhase {
  readonly phase: string;
  readonly wallMs: number;
  /** CPU time of each process over the phase, in the order given to the meter; null where unreadable. */
  readonly cpuMs: readonly (number | null)[];
}

export class CpuMeter {
  private readonly rows: CpuPhase[] = [];

  constructor(private readonly processes: readonly MeteredProcess[]) {}

  /** Runs `body` and records the CPU time of every process over it. */
  async measure<T>(phase: string, body: () => Promise<T>): Promise<T> {
    const end = await this.begin(phase);
    try {
      return await body();
    } finally {
      await end();
    }
  }

  /** Starts recording a phase; the returned function ends it and returns its figures. */
  async begin(phase: string): Promise<() => Promise<CpuPhase>> {
    const before = await this.read();
    const started = performance.now();
    return async () => {
      const wallMs = performance.now() - started;
      const after = await this.read();
      const row: CpuPhase = {
        phase,
        wallMs,
        cpuMs: after.map((value, index) => {
          const start = before[index];
          return value === null || start === null || start === undefined ? null : value - start;
        }),
      };
      this.rows.push(row);
      return row;
    };
  }

  format(): string {
    return formatTable(
      `CPU seconds per phase (${os.cpus().length} cores: at most ${os.cpus().length} CPU seconds per wall second)`,
      ['phase', 'wall s', ...this.processes.map((process) => process.name), 'total'],
      this.rows.map((row) => {
        const known = row.cpuMs.filter((value): value is number => value !== null);
        return [
          row.phase,
          (row.wallMs / 1000).toFixed(1),
          ...row.cpuMs.map((value) => (value === null ? '-' : (value / 1000).toFixed(1))),
          (known.reduce((total, value) => total + value, 0) / 1000).toFixed(1),
        ];
      }),
    );
  }

  private read(): Promise<(number | null)[]> {
    return Promise.all(this.processes.map((process) => process.cpuMs()));
  }
}
