// Renders a ResNet summary as the paper's per-stage table followed by the totals.
import type { ResNetSummary } from '@resnet-lab/resnet';

const integer = new Intl.NumberFormat('en-US');

export function formatSummary(summary: ResNetSummary): string {
  const header = ['layer', 'output', 'channels', 'blocks', 'structure', 'params', 'MACs'];
  const rows = summary.stages.map((stage) => [
    stage.name,
    `${stage.outputSize}x${stage.outputSize}`,
    String(stage.outChannels),
    stage.blocks === 0 ? '-' : String(stage.blocks),
    stage.description,
    integer.format(stage.trainableParams),
    integer.format(stage.macs),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  // Text columns align left, numbers right.
  const numeric = [false, true, true, true, false, true, true];
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();

  return [
    `${summary.arch} (${summary.block} blocks), ${summary.stem} stem, ${summary.classes} classes, ` +
      `${summary.inputSize}x${summary.inputSize} input, width ${summary.width}`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `Trainable parameters: ${integer.format(summary.trainableParams)}`,
    `Total parameters:     ${integer.format(summary.totalParams)} ` +
      `(${integer.format(summary.nonTrainableParams)} batch-norm running statistics)`,
    `MACs per image:       ${(summary.macs / 1e9).toFixed(2)} G (${integer.format(summary.macs)}, convolutions and linear)`,
    '',
  ].join('\n');
}
