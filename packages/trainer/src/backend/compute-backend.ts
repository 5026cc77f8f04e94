// Chooses and activates the TensorFlow.js backend that computes: libtensorflow on a GPU or the CPU (the optional
// tfjs-node packages), else WebAssembly, else plain JavaScript.
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { useOneDnnKernels } from './onednn-kernels.js';
import { prepareWasmThreads, wasmThreadsWanted } from './wasm-threads.js';
import { registerWasmTrainingKernels } from './wasm-training-kernels.js';

/** The registered names of the backends that this module can activate. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** `auto` is the first backend of BACKEND_NAMES that loads. */
export type BackendChoice = 'auto' | BackendName;

/** Fastest first. */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES];

export interface BackendInfo {
  readonly name: BackendName;
  /**
   * Where the kernels run, for people: `GPU: NVIDIA H100 80GB HBM3`, `CPU (wasm, 1 thread, SIMD)`,
   * `CPU (wasm, 2 threads, SIMD; oneDNN 2.6.3 kernels)`.
   */
  readonly device: string;
  /** The npm package that provides the backend. */
  readonly package: string;
  /** Whether the kernels run on a GPU (libtensorflow's CUDA build). */
  readonly gpu: boolean;
}

/** A backend that was asked for by name but cannot run here; the message says why and what can. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: BackendName,
    readonly available: readonly BackendName[],
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BackendUnavailableError';
  }
}

/** A backend choice that is none of BACKEND_CHOICES. */
export class UnknownBackendError extends Error {
  constructor(readonly choice: unknown) {
    super(`Expected backend to be one of ${BACKEND_CHOICES.join(', ')}, got '${String(choice)}'.`);
    this.name = 'UnknownBackendError';
  }
}

/** The CUDA build first: both register the backend 'tensorflow', so only the first that loads is kept. */
const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const GPU_PACKAGE = TENSORFLOW_PACKAGES[0];
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
const CPU_PACKAGE = '@tensorflow/tfjs-backend-cpu';

type Load = { readonly loaded: true; readonly package: string } | Failure;
interface Failure {
  readonly loaded: false;
  /** Completes "Backend 'x' is not available: ". */
  readonly reason: string;
  readonly cause?: unknown;
}

/** One load per backend and process: a package is imported once, whatever it answered is the answer after. */
const loads = new Map<BackendName, Promise<Load>>();

/** The backends that load here, fastest first; 'cpu' always does. */
export async function availableBackends(): Promise<BackendName[]> {
  const results = await Promise.all(BACKEND_NAMES.map(load));
  return BACKEND_NAMES.filter((_, index) => results[index]!.loaded);
}

/**
 * Loads and activates the backend `choice`, or for `auto` the fastest that loads, and describes it. The wasm
 * backend gets the training kernels it lacks (registerWasmTrainingKernels) before this returns. Calling it again
 * with the same choice changes nothing.
 */
export async function useBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) throw new UnknownBackendError(choice);
  if (choice !== 'auto') {
    const activation = await activate(choice);
    if (activation.loaded) return activation.info;
    const available = await availableBackends();
    throw new BackendUnavailableError(
      choice,
      available,
      `Backend '${choice}' is not available: ${activation.reason}. Available: ${available.join(', ')}.`,
      { cause: activation.cause },
    );
  }
  const failures: string[] = [];
  for (const name of BACKEND_NAMES) {
    const activation = await activate(name);
    if (activation.loaded) return activation.info;
    failures.push(`${name}: ${activation.reason}`);
  }
  throw new Error(`No TensorFlow.js backend could be activated (${failures.join('; ')}).`);
}

async function activate(name: BackendName): Promise<{ readonly loaded: true; readonly info: BackendInfo } | Failure> {
  const loaded = await load(name);
  if (!loaded.loaded) return loaded;
  if (name === 'wasm') registerWasmTrainingKernels();
  // After wasm's own training kernels, which oneDNN's stand in front of.
  const oneDnn = name === 'wasm' ? useOneDnnKernels() : undefined;
  // Threads are set up before the wasm module first initializes; later calls find it initialized.
  const afterWasmInit = name === 'wasm' && !wasmInitialized ? prepareWasmThreads(wasmThreadsWanted()) : null;
  if (name === 'wasm') wasmInitialized = true;
  // setBackend catches an initialization error itself: it logs it as a warning and answers false.
  const initialized = await tf.setBackend(name);
  afterWasmInit?.();
  if (!initialized) {
    return {
      loaded: false,
      reason: `${loaded.package} loaded, but its backend did not initialize (see the warning above)`,
    };
  }
  return { loaded: true, info: await describe(name, loaded.package, oneDnn?.active ? oneDnn.version : null) };
}

let wasmInitialized = false;

function load(name: BackendName): Promise<Load> {
  let pending = loads.get(name);
  if (pending === undefined) {
    pending = LOADERS[name]();
    loads.set(name, pending);
  }
  return pending;
}

const LOADERS: Readonly<Record<BackendName, () => Promise<Load>>> = {
  async tensorflow() {
    const errors: unknown[] = [];
    for (const packageName of TENSORFLOW_PACKAGES) {
      try {
        await importOptional(packageName);
        return { loaded: true, package: packageName };
      } catch (error) {
        errors.push(error);
      }
    }
    return {
      loaded: false,
      reason: `${TENSORFLOW_PACKAGES.join(' and ')} could not be loaded (${errors.map(firstLine).join('; ')})`,
      cause: new AggregateError(errors, `${TENSORFLOW_PACKAGES.join(' and ')} could not be loaded`),
    };
  },
  async wasm() {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      return { loaded: true, package: WASM_PACKAGE };
    } catch (error) {
      return { loaded: false, reason: `${WASM_PACKAGE} could not be loaded (${firstLine(error)})`, cause: error };
    }
  },
  // Bundled with @tensorflow/tfjs and registered on import.
  cpu: () => Promise.resolve({ loaded: true, package: CPU_PACKAGE }),
};

/**
 * Imports a package that TypeScript must not resolve: the native backends are optional dependencies, absent
 * wherever their install could not download libtensorflow. Importing one registers the backend 'tensorflow'.
 */
async function importOptional(packageName: string): Promise<void> {
  await import(packageName);
}

/** `oneDnnVersion`: the oneDNN whose kernels the wasm backend runs, if any. */
async function describe(name: BackendName, packageName: string, oneDnnVersion: string | null): Promise<BackendInfo> {
  switch (name) {
    case 'tensorflow': {
      if (packageName !== GPU_PACKAGE) {
        const device = `CPU (libtensorflow, ${os.availableParallelism()} threads)`;
        return { name, device, package: packageName, gpu: false };
      }
      const gpus = await gpuNames();
      const device = gpus.length > 0 ? `GPU: ${gpus.join(', ')}` : 'GPU (name unknown: nvidia-smi gave none)';
      return { name, device, package: packageName, gpu: true };
    }
    case 'wasm': {
      const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
      const threads = getThreadsCount();
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
      const kernels = oneDnnVersion === null ? '' : `; oneDNN ${oneDnnVersion} kernels`;
      const device = `CPU (wasm, ${threads} thread${threads === 1 ? '' : 's'}, ${simd ? 'SIMD' : 'no SIMD'}${kernels})`;
      return { name, device, package: packageName, gpu: false };
    }
    case 'cpu':
      return { name, device: 'CPU (JavaScript)', package: packageName, gpu: false };
  }
}

const execFileAsync = promisify(execFile);

/** GPU model names from nvidia-smi; none where it is missing or fails, since the name only labels the device. */
async function gpuNames(): Promise<string[]> {
  try {
    const { stdout } = await execFileAsync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      timeout: 10_000,
    });
    return stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0);
  } catch {
    return [];
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!;
}
