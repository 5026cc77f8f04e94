// The resnet-lab command line: dispatches a subcommand and turns user errors into a message and exit code 2.
import { ResNetConfigError, SafetensorsFormatError, StateDictMismatchError } from '@resnet-lab/resnet';
import { BackendUnavailableError, ConvolutionAlgorithmError, WasmThreadsError } from '../backend/index.js';
import { DatasetError } from '../data/index.js';
import { ModelDirectoryError } from '../model-directory.js';
import { SafetensorsImportError } from '../pytorch/import-safetensors.js';
import { OutOfMemoryError } from '../training/out-of-memory-error.js';
import { TrainConfigError } from '../training/train-config.js';
import { BENCH_USAGE, benchCommand } from './bench-command.js';
import type { CliIo } from './cli-io.js';
import { DATASET_USAGE, datasetCommand } from './dataset-command.js';
import { DOCTOR_USAGE, doctorCommand } from './doctor-command.js';
import { EVAL_USAGE, evalCommand } from './eval-command.js';
import { EXPORT_USAGE, exportCommand } from './export-command.js';
import { IMPORT_USAGE, importCommand } from './import-command.js';
import { PREDICT_USAGE, predictCommand } from './predict-command.js';
import { SUMMARY_USAGE, summaryCommand } from './summary-command.js';
import { TRAIN_USAGE, trainCommand } from './train-command.js';
import { UsageError } from './usage-error.js';

type Command = (args: string[], io: CliIo, signal?: AbortSignal) => number | Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Command; description: string; usage: string }>> = {
  train: { run: trainCommand, description: 'train a ResNet, checkpointing every epoch', usage: TRAIN_USAGE },
  eval: { run: evalCommand, description: 'accuracy, loss and confusion matrix of a checkpoint', usage: EVAL_USAGE },
  predict: { run: predictCommand, description: 'top-k classes of PNG/JPEG images', usage: PREDICT_USAGE },
  import: {
    run: importCommand,
    description: 'a PyTorch state_dict in safetensors as a checkpoint',
    usage: IMPORT_USAGE,
  },
  export: {
    run: exportCommand,
    description: "a checkpoint's weights as a PyTorch state_dict in safetensors",
    usage: EXPORT_USAGE,
  },
  bench: { run: benchCommand, description: 'training and inference throughput', usage: BENCH_USAGE },
  dataset: { run: datasetCommand, description: 'download or inspect a dataset', usage: DATASET_USAGE },
  summary: {
    run: summaryCommand,
    description: 'per-stage table, parameters and MACs of a ResNet',
    usage: SUMMARY_USAGE,
  },
  doctor: {
    run: doctorCommand,
    description: 'which backends load and why not, Node and npm versions, the database',
    usage: DOCTOR_USAGE,
  },
};

/** Errors whose message tells the user what to change; anything else is a bug and keeps its stack trace. */
const USER_ERRORS = [
  UsageError,
  ResNetConfigError,
  TrainConfigError,
  DatasetError,
  ModelDirectoryError,
  SafetensorsFormatError,
  StateDictMismatchError,
  SafetensorsImportError,
  BackendUnavailableError,
  WasmThreadsError,
  ConvolutionAlgorithmError,
  OutOfMemoryError,
];

export const USAGE = `Usage: resnet-lab <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, { description }]) => `  ${name.padEnd(10)} ${description}`)
  .join('\n')}

Run 'resnet-lab <command> --help' for a command's options.
`;

/**
 * Exit codes: 0 success, 1 unexpected failure, 2 a command line, configuration or file the user can fix,
 * 130 a run cancelled through `signal` (Ctrl-C).
 */
export async function runCli(argv: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`Unknown command '${name}'. Allowed: ${Object.keys(COMMANDS).join(', ')}.\n`);
    return 2;
  }
  try {
    return await command.run(args, io, signal);
  } catch (error) {
    if (USER_ERRORS.some((type) => error instanceof type) || isParseArgsError(error)) {
      io.stderr(`resnet-lab ${name}: ${(error as Error).message}\n`);
      if (isParseArgsError(error)) io.stderr(`\n${command.usage}`);
      return 2;
    }
    throw error;
  }
}

/** node:util parseArgs reports unknown options and missing values with codes of this family. */
function isParseArgsError(error: unknown): boolean {
  return error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}
