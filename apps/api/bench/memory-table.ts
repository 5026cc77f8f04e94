// Resident memory of processes sampled at named moments of a benchmark (idle, under load, after), printed as one
// table: a row per process, a column per moment.
import { formatTable } from './format-table.js';
import { formatMiB, residentSetBytes } from './resident-set-bytes.js';

export class MemoryTable {
  private readonly columns: { readonly label: string; readonly bytes: readonly (number | null)[] }[] = [];

  constructor(private readonly processes: readonly { readonly name: string; readonly pid: number }[]) {}

  /** Reads every process's RSS now, as the column `label`. */
  async sample(label: string): Promise<void> {
    this.columns.push({ label, bytes: await Promise.all(this.processes.map(({ pid }) => residentSetBytes(pid))) });
  }

  format(title: string): string {
    return formatTable(
      title,
      ['process', ...this.columns.map((column) => column.label)],
      this.processes.map(({ name }, index) => [
        name,
        ...this.columns.map((column) => formatMiB(column.bytes[index] ?? null)),
      ]),
    );
  }
}
