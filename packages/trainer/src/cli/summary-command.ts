// `resnet-lab summary`: the per-stage table, parameters and MACs of one ResNet configuration.
import { parseArgs } from 'node:util';
import { RESNET_ARCHS, RESNET_STEMS, summarizeResNet } from '@resnet-lab/resnet';
import type { CliIo } from './cli-io.js';
import { formatSummary } from './format-summary.js';
import { parseNumberOption } from './usage-error.js';

export const SUMMARY_USAGE = `Usage: resnet-lab summary --arch <arch> [--stem cifar|imagenet] [--classes N] [--input N] [--width W] [--json]

Prints the per-stage table (as in the ResNet paper's Table 1), parameter counts and multiply-accumulates per image.

  --arch     ${RESNET_ARCHS.join(', ')} (default resnet18)
  --stem     ${RESNET_STEMS.join(', ')} (default cifar)
  --classes  number of classes (default 10 for cifar, 1000 for imagenet)
  --input    input height and width in pixels (default 32 for cifar, 224 for imagenet)
  --width    filter multiplier, 1 = 64 filters in the first stage (default 1)
  --json     print one JSON object instead of the table
`;

export function summaryCommand(args: string[], io: CliIo): number {
  const { values } = parseArgs({
    args,
    options: {
      arch: { type: 'string', default: 'resnet18' },
      stem: { type: 'string' },
      classes: { type: 'string' },
      input: { type: 'string' },
      width: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout(SUMMARY_USAGE);
    return 0;
  }
  const summary = summarizeResNet({
    arch: values.arch,
    stem: values.stem,
    classes: parseNumberOption('classes', values.classes),
    inputSize: parseNumberOption('input', values.input),
    width: parseNumberOption('width', values.width),
  });
  io.stdout(values.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
  return 0;
}
