// `resnet-lab predict`: the top-k classes of PNG/JPEG images according to a checkpoint.
import * as fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { useBackend } from '../backend/index.js';
import { loadInferenceCheckpoint } from '../training/load-inference-checkpoint.js';
import { predictImages } from '../training/predict-images.js';
import type { CliIo } from './cli-io.js';
import { parseBackend } from './eval-command.js';
import { UsageError, parseNumberOption } from './usage-error.js';

export const PREDICT_USAGE = `Usage: resnet-lab predict --checkpoint <dir|file.tar> <image>... [--top 3] [--backend <name>]
                          [--json]

Classifies PNG or JPEG images of any size (resized to the model's input) and prints the top classes with their
softmax probabilities. The checkpoint is a directory or a tar archive of one (the API's checkpoint download).
`;

export async function predictCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      checkpoint: { type: 'string' },
      top: { type: 'string', default: '3' },
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout(PREDICT_USAGE);
    return 0;
  }
  if (!values.checkpoint) throw new UsageError('Missing --checkpoint <dir|file.tar>.');
  if (positionals.length === 0) throw new UsageError('Missing <image>: give one or more PNG or JPEG files.');
  const topK = parseNumberOption('top', values.top)!;
  const inputs = await Promise.all(
    positionals.map(async (file) => {
      try {
        return { source: file, bytes: new Uint8Array(await fs.readFile(file)) };
      } catch (error) {
        throw new UsageError(`Cannot read image ${file}: ${(error as Error).message}`, { cause: error });
      }
    }),
  );
  await useBackend(parseBackend(values.backend));
  const checkpoint = await loadInferenceCheckpoint(values.checkpoint);
  const inference = checkpoint.model;
  try {
    const { classNames, normalization } = checkpoint.metadata;
    if (topK > classNames.length || topK < 1 || !Number.isInteger(topK)) {
      throw new UsageError(
        `Expected --top to be an integer from 1 to ${classNames.length} (the model's classes), got ${topK}.`,
      );
    }
    const predictions = await predictImages({ model: inference, classNames, normalization }, inputs, topK);
    if (values.json) {
      io.stdout(`${JSON.stringify(predictions)}\n`);
    } else {
      const nameWidth = Math.max(...classNames.map((name) => name.length));
      for (const prediction of predictions) {
        io.stdout(`${prediction.source}\n`);
        for (const { className, probability } of prediction.top) {
          io.stdout(`  ${className.padEnd(nameWidth)}  ${(probability * 100).toFixed(2).padStart(6)}%\n`);
        }
      }
    }
    return 0;
  } finally {
    inference.dispose();
  }
}
