// `resnet-lab eval`: accuracy, loss, per-class accuracy and confusion matrix of a checkpoint on a dataset.
import { parseArgs } from 'node:util';
import { BACKEND_CHOICES, useBackend, type BackendChoice } from '../backend/index.js';
import { datasetCacheDirectory, loadDataset, userCacheDirectory } from '../data/index.js';
import { evaluateModel, type Evaluation } from '../training/evaluate-model.js';
import { loadInferenceCheckpoint } from '../training/load-inference-checkpoint.js';
import { EVAL_SPLITS, defaultEvalSplit, evaluationSplit, isEvalSplit } from '../training/evaluation-split.js';
import { evaluationSettings } from '../training/evaluation-settings.js';

import type { CliIo } from './cli-io.js';
import { UsageError } from './usage-error.js';

export const EVAL_USAGE = `Usage: resnet-lab eval --checkpoint <dir|file.tar> [--data <location>] [--split test|train|all]
                       [--backend <name>] [--cache-dir <dir>] [--json]

Evaluates a checkpoint on a dataset split: by default the test split of the data it was trained on. An image folder
without train/ and test/ subfolders that is not that data is a set of images to score: evaluated whole by default.

  --checkpoint <dir>  a checkpoint directory, e.g. runs/<name>/checkpoints/best, or a tar archive of one (the
                      .tar that the API's checkpoint download gives, read as it is)
  --data <location>   'synthetic', a CIFAR-10 binary directory or an image folder (default: the training data;
                      required for imported weights, which record none)
  --split <name>      test: the test split (test/, or the held-out share of each class of a folder without it);
                      train; all: train and test together, every image of the location, nothing held out
                      (default: all for an image folder without train/ that is not the training data, else test)
  --backend <name>    ${BACKEND_CHOICES.join(', ')} (default auto)
  --cache-dir <dir>   image folders: where decoded images are cached (default $XDG_CACHE_HOME/resnet-lab, else
                      ~/.cache/resnet-lab)
  --json              print one JSON object: the evaluation, with the location and split it scored
`;

export async function evalCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      checkpoint: { type: 'string' },
      data: { type: 'string' },
      split: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      'cache-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout(EVAL_USAGE);
    return 0;
  }
  if (!values.checkpoint) throw new UsageError('Missing --checkpoint <dir|file.tar>.');
  if (values.split !== undefined && !isEvalSplit(values.split)) {
    throw new UsageError(`Expected --split to be one of ${EVAL_SPLITS.join(', ')}, got '${values.split}'.`);
  }
  await useBackend(parseBackend(values.backend));
  const checkpoint = await loadInferenceCheckpoint(values.checkpoint);
  const inference = checkpoint.model;
  try {
    const { normalization, classNames } = checkpoint.metadata;
    const settings = evaluationSettings(checkpoint.metadata);
    const location = values.data ?? settings.trainedOn;
    if (location === null) {
      throw new UsageError(
        `Missing --data: ${values.checkpoint} holds imported weights, which record no training data to evaluate on.`,
      );
    }
    const split = values.split ?? (await defaultEvalSplit(location, settings.trainedOn));
    const dataset = await loadDataset(location, {
      ...settings.datasetOptions,
      cacheDirectory: datasetCacheDirectory(values['cache-dir'] ?? userCacheDirectory(), location),
    });
    const images = evaluationSplit(dataset, split);
    if (images.classNames.join('\n') !== classNames.join('\n')) {
      throw new UsageError(
        `The data's classes (${images.classNames.join(', ')}) differ from the checkpoint's (${classNames.join(', ')}).`,
      );
    }
    const evaluation = await evaluateModel(inference, images, { batchSize: settings.batchSize, normalization });
    io.stdout(
      values.json
        ? `${JSON.stringify({ location, split, ...evaluation })}\n`
        : `Data: ${location}, split ${split}\n${formatEvaluation(evaluation)}`,
    );
    return 0;
  } finally {
    inference.dispose();
  }
}

export function parseBackend(value: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new UsageError(`Expected --backend to be one of ${BACKEND_CHOICES.join(', ')}, got '${value}'.`);
}

export function formatEvaluation(evaluation: Evaluation): string {
  const { classNames, confusionMatrix } = evaluation;
  const nameWidth = Math.max(5, ...classNames.map((name) => name.length));
  const cellWidth = Math.max(5, ...confusionMatrix.flat().map((count) => String(count).length));
  const lines = [
    `Accuracy: ${evaluation.correct}/${evaluation.count} = ${evaluation.accuracy.toFixed(4)}`,
    `Loss: ${evaluation.loss.toFixed(4)}`,
    '',
    'Per-class accuracy:',
    ...classNames.map((name, label) => {
      const accuracy = evaluation.perClassAccuracy[label];
      return `  ${name.padEnd(nameWidth)}  ${accuracy === null || accuracy === undefined ? 'n/a' : accuracy.toFixed(4)}`;
    }),
    '',
    'Confusion matrix (rows: true class, columns: predicted class, in the order above):',
    ...confusionMatrix.map(
      (row, label) =>
        `  ${classNames[label]!.padEnd(nameWidth)}  ${row.map((count) => String(count).padStart(cellWidth)).join(' ')}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
