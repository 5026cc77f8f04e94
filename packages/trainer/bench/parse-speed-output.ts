// Reads the one JSON line that each side of `npm run bench:vs-pytorch` prints: `resnet-lab bench --json` and
// pytorch/speed.py. Only the fields the benchmark reports are checked and kept.

/** Timed steps of one tool at one batch size. */
export interface SpeedOutput {
  readonly batchSize: number;
  /** Seconds of each timed training step (forward, loss, backward, SGD update). */
  readonly trainStepSeconds: readonly number[];
  /** Seconds of each timed forward pass in inference mode. */
  readonly forwardStepSeconds: readonly number[];
}

export interface ResnetLabBenchOutput extends SpeedOutput {
  readonly arch: string;
  readonly width: number;
  /** The backend that ran, as `resnet-lab bench` reports it: `wasm`, `CPU (wasm, 2 threads, SIMD; oneDNN ...)`. */
  readonly backend: { readonly name: string; readonly device: string };
}

export const PYTORCH_MEMORY_FORMATS = ['nchw', 'channels_last'] as const;
export type PytorchMemoryFormat = (typeof PYTORCH_MEMORY_FORMATS)[number];

export interface PytorchSpeedOutput extends SpeedOutput {
  readonly memoryFormat: PytorchMemoryFormat;
  readonly arch: string;
  readonly width: number;
  /** torch.get_num_threads() after torch.set_num_threads. */
  readonly threads: number;
  readonly torch: string;
  /** The oneDNN (MKL-DNN) version torch was built with, where its build description says. */
  readonly onednn: string | null;
  /** The instruction set of torch's own CPU kernels (`AVX2`, `AVX512`), where its build description says. */
  readonly cpuCapability: string | null;
}

/** A line that is not the output the benchmark expects; the message quotes the field and the line. */
export class SpeedOutputError extends Error {
  readonly code = 'SPEED_OUTPUT_INVALID';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SpeedOutputError';
  }
}

/** The last stdout line of `resnet-lab bench --json`. */
export function parseResnetLabBenchOutput(line: string): ResnetLabBenchOutput {
  const fields = Fields.parse('resnet-lab bench --json', line);
  const backend = fields.nested('backend');
  return {
    arch: fields.string('arch'),
    width: fields.positiveNumber('width'),
    batchSize: fields.positiveInteger('batchSize'),
    trainStepSeconds: fields.seconds('stepSeconds'),
    forwardStepSeconds: fields.seconds('forwardSeconds'),
    backend: { name: backend.string('name'), device: backend.string('device') },
  };
}

/** The stdout line of pytorch/speed.py. */
export function parsePytorchSpeedOutput(line: string): PytorchSpeedOutput {
  const fields = Fields.parse('pytorch/speed.py', line);
  const memoryFormat = fields.string('memoryFormat');
  if (!(PYTORCH_MEMORY_FORMATS as readonly string[]).includes(memoryFormat)) {
    throw fields.error('memoryFormat', `one of ${PYTORCH_MEMORY_FORMATS.join(', ')}`);
  }
  return {
    memoryFormat: memoryFormat as PytorchMemoryFormat,
    arch: fields.string('arch'),
    width: fields.positiveNumber('width'),
    batchSize: fields.positiveInteger('batchSize'),
    threads: fields.positiveInteger('threads'),
    trainStepSeconds: fields.seconds('trainStepSeconds'),
    forwardStepSeconds: fields.seconds('forwardStepSeconds'),
    torch: fields.string('torch'),
    onednn: fields.stringOrNull('onednn'),
    cpuCapability: fields.stringOrNull('cpuCapability'),
  };
}

/** Typed access to the fields of a JSON object that one tool printed. */
class Fields {
  private constructor(
    private readonly tool: string,
    private readonly line: string,
    private readonly record: Readonly<Record<string, unknown>>,
    private readonly prefix: string,
  ) {}

  static parse(tool: string, line: string): Fields {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new SpeedOutputError(`Expected ${tool} to print a JSON object, got: ${line}`, { cause: error });
    }
    if (!isObject(value)) throw new SpeedOutputError(`Expected ${tool} to print a JSON object, got: ${line}`);
    return new Fields(tool, line, value, '');
  }

  /** The fields of the object in field `name`. */
  nested(name: string): Fields {
    const value = this.record[name];
    if (!isObject(value)) throw this.error(name, 'an object');
    return new Fields(this.tool, this.line, value, `${this.prefix}${name}.`);
  }

  error(name: string, expected: string): SpeedOutputError {
    return new SpeedOutputError(
      `Expected ${this.tool} to print ${this.prefix}${name} as ${expected}, got ` +
        `${JSON.stringify(this.record[name]) ?? 'nothing'} in: ${this.line}`,
    );
  }

  string(name: string): string {
    const value = this.record[name];
    if (typeof value !== 'string') throw this.error(name, 'a string');
    return value;
  }

  stringOrNull(name: string): string | null {
    const value = this.record[name];
    if (value !== null && typeof value !== 'string') throw this.error(name, 'a string or null');
    return value;
  }

  positiveNumber(name: string): number {
    const value = this.record[name];
    if (!isPositive(value)) throw this.error(name, 'a positive number');
    return value;
  }

  positiveInteger(name: string): number {
    const value = this.record[name];
    if (!isPositive(value) || !Number.isInteger(value)) throw this.error(name, 'a positive integer');
    return value;
  }

  seconds(name: string): readonly number[] {
    const value = this.record[name];
    if (!Array.isArray(value) || value.length === 0 || !value.every(isPositive)) {
      throw this.error(name, 'a non-empty list of positive seconds');
    }
    return value;
  }
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
