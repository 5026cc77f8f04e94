// The command line of `npm run bench:vs-pytorch`: what to measure, and how many steps.
import { parseArgs } from 'node:util';
import { RESNET_ARCHS } from '@resnet-lab/resnet';
import { BACKEND_CHOICES, MAX_WASM_THREADS, type BackendChoice } from '@resnet-lab/trainer';
import { DEFAULT_PYTHON } from './run-pytorch.js';

export interface VsPytorchOptions {
  readonly arch: string;
  /** Filter multiplier; 1 is the seed's ResNet. */
  readonly width: number;
  /** Each measured in its own processes, in this order. */
  readonly batchSizes: readonly number[];
  /** Timed training steps per tool and batch size, after one warm-up step. */
  readonly steps: number;
  /** Timed forward passes per tool and batch size, after one warm-up pass. */
  readonly forwardSteps: number;
  /** torch.set_num_threads, oneDNN's OpenMP threads in resnet-lab, and its wasm threads up to MAX_WASM_THREADS. */
  readonly threads: number;
  /** resnet-lab's backend. */
  readonly backend: BackendChoice;
  /** The interpreter that runs pytorch/speed.py. */
  readonly python: string;
  /** Where to write the measurements as JSON, if anywhere. */
  readonly out: string | undefined;
}

export function vsPytorchUsage(cpus: number): string {
  return `Usage: npm run bench:vs-pytorch -- [options]

Training and inference images/s of ResNet18 (CIFAR stem, 10 classes) on random 32x32 batches: resnet-lab, PyTorch
NCHW and PyTorch channels_last, side by side, as a markdown table. Without python3-torch, resnet-lab only.

  --batch-sizes <a,b,..>   each measured separately (default 32,128)
  --steps <n>              timed training steps per tool and batch size, after 1 warm-up (default 5)
  --forward-steps <n>      timed forward passes per tool and batch size, after 1 warm-up (default 10)
  --arch <name>            ${RESNET_ARCHS.join(', ')} (default resnet18)
  --width <w>              filter multiplier (default 1, the seed's)
  --threads <n>            threads of both tools (default ${cpus}, the CPUs here; resnet-lab's wasm uses at most ${MAX_WASM_THREADS})
  --backend <name>         resnet-lab's backend: ${BACKEND_CHOICES.join(', ')} (default auto, the fastest here)
  --python <path>          Python with torch (default ${DEFAULT_PYTHON})
  --out <file.json>        also write the settings and every step's seconds as JSON
`;
}

/** A command line the benchmark cannot run; the message names the option, the value and what is allowed. */
export class VsPytorchUsageError extends Error {
  readonly code = 'BAD_USAGE';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VsPytorchUsageError';
  }
}

/** The options, or 'help'; `cpus` is the default thread count. */
export function parseVsPytorchOptions(args: readonly string[], cpus: number): VsPytorchOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        'batch-sizes': { type: 'string', default: '32,128' },
        steps: { type: 'string', default: '5' },
        'forward-steps': { type: 'string', default: '10' },
        arch: { type: 'string', default: 'resnet18' },
        width: { type: 'string', default: '1' },
        threads: { type: 'string', default: String(cpus) },
        backend: { type: 'string', default: 'auto' },
        python: { type: 'string', default: DEFAULT_PYTHON },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new VsPytorchUsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (values.help) return 'help';
  if (!(RESNET_ARCHS as readonly string[]).includes(values.arch)) {
    throw new VsPytorchUsageError(`Expected --arch to be one of ${RESNET_ARCHS.join(', ')}, got '${values.arch}'.`);
  }
  if (!(BACKEND_CHOICES as readonly string[]).includes(values.backend)) {
    throw new VsPytorchUsageError(
      `Expected --backend to be one of ${BACKEND_CHOICES.join(', ')}, got '${values.backend}'.`,
    );
  }
  const width = Number(values.width);
  if (values.width.trim() === '' || !Number.isFinite(width) || width <= 0 || width > 8) {
    throw new VsPytorchUsageError(`Expected --width to be a number above 0 and at most 8, got '${values.width}'.`);
  }
  const batchSizes = values['batch-sizes'].split(',').map((text) => {
    const size = Number(text);
    if (text.trim() === '' || !Number.isInteger(size) || size < 1) {
      throw new VsPytorchUsageError(
        `Expected --batch-sizes to be positive integers separated by commas, got '${values['batch-sizes']}'.`,
      );
    }
    return size;
  });
  return {
    arch: values.arch,
    width,
    batchSizes: [...new Set(batchSizes)],
    steps: positiveInteger('steps', values.steps),
    forwardSteps: positiveInteger('forward-steps', values['forward-steps']),
    threads: positiveInteger('threads', values.threads),
    backend: values.backend as BackendChoice,
    python: values.python,
    out: values.out,
  };
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 1) {
    throw new VsPytorchUsageError(`Expected --${name} to be a positive integer, got '${text}'.`);
  }
  return value;
}
