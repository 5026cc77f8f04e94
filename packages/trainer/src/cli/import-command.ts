// `resnet-lab import`: a PyTorch state_dict saved as safetensors becomes a checkpoint that eval, predict and
// train --resume read.
import * as fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { RESNET_ARCHS, RESNET_STEMS, STEM_DEFAULTS } from '@resnet-lab/resnet';
import { useBackend } from '../backend/index.js';
import type { Normalization } from '../data/index.js';
import {
  NAMED_NORMALIZATIONS,
  describeModel,
  importSafetensors,
  type NormalizationChoice,
} from '../pytorch/import-safetensors.js';
import type { CliIo } from './cli-io.js';
import { parseBackend } from './eval-command.js';
import { UsageError, parseNumberOption } from './usage-error.js';

const NORMALIZATION_CHOICES = Object.keys(NAMED_NORMALIZATIONS) as NormalizationChoice[];

export const IMPORT_USAGE = `Usage: resnet-lab import <file.safetensors> --arch <arch> --out <checkpoint-dir> [options]

Turns a PyTorch state_dict saved as safetensors (the seed's keys: conv1.weight, bn1.running_mean,
layer1.0.conv1.weight, layer1.0.shortcut.0.weight, ..., linear.weight) into a checkpoint of epoch 0 that eval,
predict and train --resume read. Every key and shape must match the architecture given; num_batches_tracked is ignored.

  --arch <arch>              ${RESNET_ARCHS.join(', ')}
  --stem <stem>              ${RESNET_STEMS.join(', ')} (default cifar)
  --classes <n>              outputs of the linear layer (default ${STEM_DEFAULTS.cifar.classes} for cifar, ${STEM_DEFAULTS.imagenet.classes} for imagenet)
  --width <w>                filter multiplier, 1 = 64 filters in the first stage (default 1)
  --input-size <px>          image height and width (default ${STEM_DEFAULTS.cifar.inputSize} for cifar, ${STEM_DEFAULTS.imagenet.inputSize} for imagenet)
  --class-names <a,b,...>    class names in label order (default: the file's classNames metadata, as resnet-lab
                             export writes it; else CIFAR-10's for 10 classes; else class0, class1, ...)
  --normalization <name>     ${NORMALIZATION_CHOICES.join(', ')}: the per-channel normalization the weights were trained with
                             (default: the file's normalization metadata; else cifar10 for the cifar stem, imagenet
                             for the imagenet stem)
  --mean <r,g,b>             with --std, an explicit normalization of pixels scaled to [0, 1] instead
  --std <r,g,b>
  --backend <name>           (default auto)
  --out <dir>                the checkpoint directory to create (refused if it holds a model already)
  --json                     print one JSON object
`;

export async function importCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      arch: { type: 'string' },
      stem: { type: 'string' },
      classes: { type: 'string' },
      width: { type: 'string' },
      'input-size': { type: 'string' },
      'class-names': { type: 'string' },
      normalization: { type: 'string' },
      mean: { type: 'string' },
      std: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout(IMPORT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`Expected one <file.safetensors>, got ${positionals.length}: ${positionals.join(' ')}`.trim());
  }
  const file = positionals[0]!;
  if (!values.arch) throw new UsageError(`Missing --arch: one of ${RESNET_ARCHS.join(', ')}.`);
  if (!values.out) throw new UsageError('Missing --out <checkpoint-dir>.');
  const normalization = parseNormalization(values.normalization, values.mean, values.std);
  const classNames = values['class-names']?.split(',').map((name) => name.trim());
  const bytes = await readInput(file);
  await useBackend(parseBackend(values.backend));
  const imported = await importSafetensors({
    bytes,
    model: {
      arch: values.arch,
      stem: values.stem,
      classes: parseNumberOption('classes', values.classes),
      width: parseNumberOption('width', values.width),
      inputSize: parseNumberOption('input-size', values['input-size']),
    },
    classNames,
    normalization,
    sourceName: file,
    out: values.out,
  });
  if (values.json) {
    io.stdout(`${JSON.stringify(imported)}\n`);
  } else {
    const { normalization: applied } = imported;
    io.stdout(
      `Imported ${file} (sha256 ${imported.source.sha256}) as ${describeModel(imported.model)}\n` +
        `Classes: ${imported.classNames.join(', ')}\n` +
        `Normalization: ${applied === null ? 'none' : `mean ${applied.mean.join(', ')}; std ${applied.std.join(', ')}`}\n` +
        `Checkpoint: ${imported.directory}\n`,
    );
  }
  return 0;
}

/** undefined: the import's default. */
function parseNormalization(
  name: string | undefined,
  mean: string | undefined,
  std: string | undefined,
): Normalization | null | undefined {
  if (mean !== undefined || std !== undefined) {
    if (name !== undefined) throw new UsageError('Give either --normalization or --mean and --std, not both.');
    if (mean === undefined || std === undefined) throw new UsageError('Give --mean and --std together.');
    return { mean: parseTriple('mean', mean), std: parseTriple('std', std) };
  }
  if (name === undefined) return undefined;
  if (!(NORMALIZATION_CHOICES as string[]).includes(name)) {
    throw new UsageError(`Expected --normalization to be one of ${NORMALIZATION_CHOICES.join(', ')}, got '${name}'.`);
  }
  return NAMED_NORMALIZATIONS[name as NormalizationChoice];
}

function parseTriple(option: string, value: string): [number, number, number] {
  const parts = value.split(',');
  if (parts.length !== 3) {
    throw new UsageError(`Expected --${option} to be three comma-separated numbers (R, G, B), got '${value}'.`);
  }
  return parts.map((part) => parseNumberOption(option, part)!) as [number, number, number];
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}
