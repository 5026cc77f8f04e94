// Loads libtensorflow through the first of @tensorflow/tfjs-node-gpu and @tensorflow/tfjs-node that can, and says
// what became of each. A package installed without its native library (npm 12 blocks its install script unless
// allowed, `--ignore-scripts` skips it) is not imported: its JavaScript would register some 150 kernels and then
// throw, and the next package's kernels would each be reported as already registered.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { inspectNativePackage } from './inspect-native-package.js';
import type { ResolvePackage } from './resolve-package.js';

/** The CUDA build first: both register the backend 'tensorflow', so only the first that loads is kept. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
export const GPU_PACKAGE = TENSORFLOW_PACKAGES[0];

export type TensorflowPackageOutcome =
  /** Not in node_modules: npm 11 leaves an optional package out where its install script failed. */
  | 'absent'
  /** Installed without its addon or without libtensorflow: its install script did not run. */
  | 'no-native-library'
  /** Installed with both, and still did not load (CUDA libraries missing, say). */
  | 'failed'
  | 'loaded'
  /** Not imported: the package before it provides the backend already. */
  | 'not-tried';

export interface TensorflowPackageAttempt {
  readonly package: string;
  readonly outcome: TensorflowPackageOutcome;
  /** The installed version; null where it is absent. */
  readonly version: string | null;
  /**
   * For people, completing "<package> <outcome>": `lib/napi-v8/tfjs_binding.node is missing`, the first line of the
   * error that loading it threw, `not installed`.
   */
  readonly detail: string;
  readonly cause?: unknown;
}

export interface TensorflowLoad {
  /** The package that registered the backend 'tensorflow'; null where none did. */
  readonly package: string | null;
  /** One per TENSORFLOW_PACKAGES, in order. */
  readonly attempts: readonly TensorflowPackageAttempt[];
}

/** Runs a package's JavaScript, given its directory; throws what the package throws. */
export type ImportPackage = (directory: string) => void;

/** Node's require: the native packages are CommonJS, resolved here as resolvePackage found them. */
export const requirePackage: ImportPackage = (directory) => {
  createRequire(import.meta.url)(directory);
};

/** Imports at most one package that has its native library, and the second only where the first did not load. */
export function loadTensorflow(
  resolvePackage: ResolvePackage,
  importPackage: ImportPackage = requirePackage,
): TensorflowLoad {
  const attempts: TensorflowPackageAttempt[] = [];
  let loaded: string | null = null;
  for (const name of TENSORFLOW_PACKAGES) {
    const found = inspectNativePackage(name, resolvePackage);
    if (!found.installed) {
      attempts.push({ package: name, outcome: 'absent', version: null, detail: 'not installed' });
      continue;
    }
    const { version } = found;
    if (loaded !== null) {
      attempts.push({ package: name, outcome: 'not-tried', version, detail: `${loaded} provides the backend` });
    } else if (!found.bindingBuilt) {
      attempts.push({ package: name, outcome: 'no-native-library', version, detail: `${found.binding} is missing` });
    } else {
      try {
        importPackage(found.directory);
        loaded = name;
        attempts.push({ package: name, outcome: 'loaded', version, detail: 'loaded' });
      } catch (error) {
        forgetTensorflowKernels();
        const detail = firstLine(error);
        // The addon or libtensorflow.so that the install script would have put there, or tfjs-node's own message.
        const outcome = /libtensorflow|tfjs_binding\.node/.test(detail) ? 'no-native-library' : 'failed';
        attempts.push({ package: name, outcome, version, detail, cause: error });
      }
    }
  }
  return { package: loaded, attempts };
}

/** A package that failed after registering its kernels leaves them behind; the next one would register them again. */
function forgetTensorflowKernels(): void {
  for (const { kernelName } of tf.getKernelsForBackend('tensorflow')) tf.unregisterKernel(kernelName, 'tensorflow');
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!;
}
