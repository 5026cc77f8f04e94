// The markdown that `npm run bench:vs-pytorch` prints: one table of images/s (training and inference at each batch
// size, resnet-lab beside PyTorch in both layouts, with issue 15's verdict), then the method, the machine and the
// commands, so that the figures can be pasted into an issue or the README as they are.
import type { PytorchMemoryFormat, SpeedOutput } from './parse-speed-output.js';
import { throughputRange, type ThroughputRange } from './throughput-range.js';
import { vsPytorchVerdict, type SpeedKind } from './vs-pytorch-verdict.js';

export interface VsPytorchRow {
  readonly kind: SpeedKind;
  readonly batchSize: number;
  readonly resnetLab: ThroughputRange;
  /** null where PyTorch was not measured. */
  readonly pytorch: Readonly<Record<PytorchMemoryFormat, ThroughputRange>> | null;
}

export interface VsPytorchReport {
  /** What was measured: `ResNet18 width 1, CIFAR stem, 10 classes, random 32x32 batches`. */
  readonly model: string;
  readonly rows: readonly VsPytorchRow[];
  readonly steps: number;
  readonly forwardSteps: number;
  /** CPU model, CPU count, instruction set, OS, Node. */
  readonly machine: string;
  readonly resnetLab: {
    /** `wasm`. */
    readonly backend: string;
    /** `CPU (wasm, 2 threads, SIMD; oneDNN 2.6.3 kernels)`. */
    readonly device: string;
    /** The environment that set its thread counts: `RESNET_LAB_WASM_THREADS=2 OMP_NUM_THREADS=2`. */
    readonly threads: string;
  };
  readonly pytorch:
    | {
        readonly torch: string;
        readonly onednn: string | null;
        readonly cpuCapability: string | null;
        readonly threads: number;
      }
    | { readonly skipped: string };
  /** The benchmark's own command line, and what it runs at the first batch size (PyTorch's in NCHW). */
  readonly commands: {
    readonly benchmark: string;
    readonly batchSize: number;
    readonly resnetLab: string;
    readonly pytorch: string | null;
  };
}

/** One batch size's measurements by each tool; `pytorch` null where PyTorch was not measured. */
export interface VsPytorchMeasurement {
  readonly batchSize: number;
  readonly resnetLab: SpeedOutput;
  readonly pytorch: Readonly<Record<PytorchMemoryFormat, SpeedOutput>> | null;
}

export const INSTALL_PYTORCH = 'sudo apt-get install python3-torch';

const HEADERS = [
  'images/s',
  'batch',
  'resnet-lab',
  'PyTorch NCHW',
  'PyTorch channels_last',
  'resnet-lab / best PyTorch',
  'target',
  'met',
] as const;
/** Figures right-aligned, words left. */
const RIGHT_ALIGNED = [false, true, true, true, true, true, false, false] as const;

export function formatVsPytorchReport(report: VsPytorchReport): string {
  const rows = report.rows.map(formatRow);
  const lines = [
    `## resnet-lab vs PyTorch: ${report.model}`,
    '',
    formatMarkdownTable(HEADERS, rows),
    '',
    `- Method: per tool and batch size, in its own process, 1 warm-up step then ${plural(report.steps, 'timed training step')} ` +
      `(forward, cross-entropy, backward, SGD with momentum 0.9 and weight decay 5e-4) and ` +
      `${plural(report.forwardSteps, 'timed forward pass', 'timed forward passes')} (inference mode); each cell is ` +
      `the median images/s of the timed steps, slowest-fastest in brackets.`,
    `- Machine: ${report.machine}.`,
    `- resnet-lab: backend ${report.resnetLab.backend}, ${report.resnetLab.device}; ${report.resnetLab.threads}.`,
    'skipped' in report.pytorch
      ? `- PyTorch: not measured (${report.pytorch.skipped}). To measure it too: \`${INSTALL_PYTORCH}\`, then run this again.`
      : `- PyTorch: torch ${report.pytorch.torch}, oneDNN ${report.pytorch.onednn ?? 'version not reported'}, ` +
        `CPU capability ${report.pytorch.cpuCapability ?? 'not reported'}; ` +
        `torch.set_num_threads(${report.pytorch.threads}).`,
    `- Command: \`${report.commands.benchmark}\`; at batch ${report.commands.batchSize} it runs ` +
      `\`${report.commands.resnetLab}\`` +
      (report.commands.pytorch === null
        ? '.'
        : `, \`${report.commands.pytorch}\` and the same with --memory-format channels_last.`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Training rows, then inference rows, each in the order of the batch sizes. */
export function vsPytorchRows(measurements: readonly VsPytorchMeasurement[]): VsPytorchRow[] {
  const kinds: readonly (readonly [SpeedKind, (output: SpeedOutput) => readonly number[]])[] = [
    ['training', (output) => output.trainStepSeconds],
    ['inference', (output) => output.forwardStepSeconds],
  ];
  return kinds.flatMap(([kind, seconds]) =>
    measurements.map(({ batchSize, resnetLab, pytorch }) => ({
      kind,
      batchSize,
      resnetLab: throughputRange(batchSize, seconds(resnetLab)),
      pytorch:
        pytorch === null
          ? null
          : {
              nchw: throughputRange(batchSize, seconds(pytorch.nchw)),
              channels_last: throughputRange(batchSize, seconds(pytorch.channels_last)),
            },
    })),
  );
}

function formatRow(row: VsPytorchRow): string[] {
  const cells = [row.kind, String(row.batchSize), formatRange(row.resnetLab)];
  if (row.pytorch === null) return [...cells, '-', '-', '-', '-', '-'];
  const verdict = vsPytorchVerdict(row.kind, row.resnetLab.median, {
    nchw: row.pytorch.nchw.median,
    channels_last: row.pytorch.channels_last.median,
  });
  return [
    ...cells,
    formatRange(row.pytorch.nchw),
    formatRange(row.pytorch.channels_last),
    `${verdict.ratioToBest.toFixed(2)}x (${verdict.best})`,
    `>= ${verdict.target.factor.toFixed(1)}x ${verdict.target.against}`,
    `${verdict.met ? 'yes' : 'no'} (${verdict.ratioToTarget.toFixed(2)}x)`,
  ];
}

/** `57.3 (56.1-58.0)`; one figure where every step was as fast. */
export function formatRange(range: ThroughputRange): string {
  const [median, min, max] = [range.median, range.min, range.max].map((value) => value.toFixed(1));
  return min === max ? median! : `${median} (${min}-${max})`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** A GitHub markdown table padded to column widths, so that it also reads in a terminal. */
function formatMarkdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, 3, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells
      .map((cell, column) => (RIGHT_ALIGNED[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join(' | ')} |`;
  const rule = `| ${widths
    .map((width, column) => (RIGHT_ALIGNED[column] ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width)))
    .join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
