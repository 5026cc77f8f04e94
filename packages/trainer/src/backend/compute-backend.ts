// Chooses and activates the TensorFlow.js backend that computes: libtensorflow on a GPU or the CPU (the optional
// tfjs-node packages), else WebAssembly, else plain JavaScript.
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { listGpus } from './list-gpus.js';
import {
  GPU_PACKAGE,
  TENSORFLOW_PACKAGES,
  firstLine,
  loadTensorflow,
  type ImportPackage,
  type TensorflowLoad,
  type TensorflowPackageAttempt,
} from './load-tensorflow.js';
import { nativeLibraryNotice } from './native-library-notice.js';
import { useOneDnnKernels, type OneDnnStatus } from './onednn-kernels.js';
import { packageResolver, type ResolvePackage } from './resolve-package.js';
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

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
const CPU_PACKAGE = '@tensorflow/tfjs-backend-cpu';

/** A backend activated, or why it could not be. */
export type BackendActivation =
  | {
      readonly loaded: true;
      readonly info: BackendInfo;
      /** For wasm: whether oneDNN computes its convolutions, and why not where it does not. */
      readonly oneDnn?: OneDnnStatus;
    }
  | Failure;
type Load = { readonly loaded: true; readonly package: string } | Failure;
interface Failure {
  readonly loaded: false;
  /** Completes "Backend 'x' is not available: ". */
  readonly reason: string;
  /** What to run for it to load, where a command does. */
  readonly advice?: string;
  readonly cause?: unknown;
}

export interface BackendSelectorOptions {
  /**
   * Where the native packages are looked for: Node's resolution from this package by default. Tests point it at a
   * fake node_modules.
   */
  readonly resolvePackage?: ResolvePackage;
  /** Runs a native package's JavaScript (default: Node's require). */
  readonly importPackage?: ImportPackage;
  /**
   * Gets the one line that `auto` says where an installed native package could not run (nativeLibraryNotice), at
   * most once per selector. Default: stderr.
   */
  readonly notify?: (line: string) => void;
}

export interface BackendSelector {
  /** As the module's useBackend. */
  useBackend(choice?: BackendChoice): Promise<BackendInfo>;
  /** As the module's availableBackends. */
  availableBackends(): Promise<BackendName[]>;
  /** Loads and activates `name`, or says why it cannot run; for diagnostics, which want the reason, not an error. */
  tryBackend(name: BackendName): Promise<BackendActivation>;
  /** What became of each native package (loading them, as `auto` does). */
  tensorflowPackages(): Promise<readonly TensorflowPackageAttempt[]>;
}

/**
 * A backend chooser with its own native-package lookup. Packages are loaded once per selector: whatever one
 * answered is the answer after. TensorFlow.js keeps one set of backends per process, so a process has one selector
 * (the module's own), and tests make others over fake packages.
 */
export function createBackendSelector(options: BackendSelectorOptions = {}): BackendSelector {
  const resolvePackage = options.resolvePackage ?? packageResolver();
  const notify = options.notify ?? ((line: string) => process.stderr.write(`${line}\n`));
  const loads = new Map<BackendName, Promise<Load>>();
  let tensorflowLoad: TensorflowLoad | undefined;
  let noticeGiven = false;

  const loadTensorflowOnce = (): TensorflowLoad =>
    (tensorflowLoad ??= loadTensorflow(resolvePackage, options.importPackage));

  const loaders: Readonly<Record<BackendName, () => Promise<Load>>> = {
    tensorflow() {
      const { package: loaded, attempts } = loadTensorflowOnce();
      if (loaded !== null) return Promise.resolve({ loaded: true, package: loaded });
      const rebuild = attempts
        .filter(({ outcome }) => outcome === 'no-native-library')
        .map((attempt) => attempt.package);
      return Promise.resolve({
        loaded: false,
        reason: attempts.map(describeAttempt).join('; '),
        advice: rebuild.length > 0 ? `To load it: npm rebuild ${rebuild.join(' ')}.` : undefined,
        cause: new AggregateError(
          attempts.map(({ cause, package: name, detail }) => cause ?? new Error(`${name}: ${detail}`)),
          `${TENSORFLOW_PACKAGES.join(' and ')} could not be loaded`,
        ),
      });
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

  function load(name: BackendName): Promise<Load> {
    let pending = loads.get(name);
    if (pending === undefined) {
      pending = loaders[name]();
      loads.set(name, pending);
    }
    return pending;
  }

  async function tryBackend(name: BackendName): Promise<BackendActivation> {
    const loaded = await load(name);
    return loaded.loaded ? activate(name, loaded.package) : loaded;
  }

  async function availableBackends(): Promise<BackendName[]> {
    const results = await Promise.all(BACKEND_NAMES.map(load));
    return BACKEND_NAMES.filter((_, index) => results[index]!.loaded);
  }

  async function useBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
    if (!BACKEND_CHOICES.includes(choice)) throw new UnknownBackendError(choice);
    if (choice !== 'auto') {
      const activation = await tryBackend(choice);
      if (activation.loaded) return activation.info;
      const available = await availableBackends();
      const advice = activation.advice === undefined ? '' : ` ${activation.advice}`;
      throw new BackendUnavailableError(
        choice,
        available,
        `Backend '${choice}' is not available: ${activation.reason}. Available: ${available.join(', ')}.${advice}`,
        { cause: activation.cause },
      );
    }
    const failures: string[] = [];
    for (const name of BACKEND_NAMES) {
      const activation = await tryBackend(name);
      if (!activation.loaded) {
        failures.push(`${name}: ${activation.reason}`);
        continue;
      }
      if (!noticeGiven) {
        noticeGiven = true;
        const notice = nativeLibraryNotice(loadTensorflowOnce().attempts, activation.info);
        if (notice !== null) notify(notice);
      }
      return activation.info;
    }
    throw new Error(`No TensorFlow.js backend could be activated (${failures.join('; ')}).`);
  }

  return {
    useBackend,
    availableBackends,
    tryBackend,
    tensorflowPackages: () => Promise.resolve(loadTensorflowOnce().attempts),
  };
}

/** The process's selector: native packages where Node finds them from here, the notice on stderr. */
const processSelector = createBackendSelector();

/** The backends that load here, fastest first; 'cpu' always does. */
export function availableBackends(): Promise<BackendName[]> {
  return processSelector.availableBackends();
}

/**
 * Loads and activates the backend `choice`, or for `auto` the fastest that loads, and describes it. The wasm
 * backend gets the training kernels it lacks (registerWasmTrainingKernels) before this returns. Calling it again
 * with the same choice changes nothing. Where `auto` passes over a native package that is installed but cannot run
 * (installed without its library, say), the first call says so in one line on stderr.
 */
export function useBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  return processSelector.useBackend(choice);
}

/** The process's selector, for `resnet-lab doctor`. */
export function processBackendSelector(): BackendSelector {
  return processSelector;
}

async function activate(name: BackendName, packageName: string): Promise<BackendActivation> {
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
      reason: `${packageName} loaded, but its backend did not initialize (see the warning above)`,
    };
  }
  const info = await describe(name, packageName, oneDnn?.active ? oneDnn.version : null);
  return oneDnn === undefined ? { loaded: true, info } : { loaded: true, info, oneDnn };
}

/** Shared by every selector: TensorFlow.js has one wasm module per process. */
let wasmInitialized = false;

function describeAttempt({ package: name, outcome, detail }: TensorflowPackageAttempt): string {
  switch (outcome) {
    case 'absent':
      return `${name} is not installed`;
    case 'no-native-library':
      return `${name} is installed without its native library (${detail})`;
    case 'failed':
      return `${name} did not load (${detail})`;
    case 'loaded':
    case 'not-tried':
      return `${name}: ${detail}`;
  }
}

/** `oneDnnVersion`: the oneDNN whose kernels the wasm backend runs, if any. */
async function describe(name: BackendName, packageName: string, oneDnnVersion: string | null): Promise<BackendInfo> {
  switch (name) {
    case 'tensorflow': {
      if (packageName !== GPU_PACKAGE) {
        const device = `CPU (libtensorflow, ${os.availableParallelism()} threads)`;
        return { name, device, package: packageName, gpu: false };
      }
      const gpus = await listGpus();
      const device = gpus.names.length > 0 ? `GPU: ${gpus.names.join(', ')}` : `GPU (name unknown: ${gpus.reason})`;
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
