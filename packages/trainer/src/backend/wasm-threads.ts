// Multi-threaded wasm in Node. tfjs-backend-wasm ships a threaded XNNPACK build but keeps it from Node, for reasons
// that each have a small answer here:
//  1. It reports no thread support in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there; tensorflow/tfjs#3830):
//     the flag is set before the backend initializes.
//  2. It starts its pthread workers from Blob URLs, which Node's worker_threads refuse: the worker script and the
//     module's JavaScript are written to files once, and the worker is pointed at them.
//  3. It sizes its thread pool as logical cores / 2, assuming two hardware threads per core: during initialization
//     the module is told of twice the cores that should compute.
//  4. The pthread workers would keep Node running after the work is done: they are unref'd.
// Measured on the 2-core development machine, forward 3x3 convolution, batch 32, 32x32x64: 17.6 GFLOP/s on one
// thread, 32.7 GFLOP/s on two.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);
const WASM_PACKAGE_JSON = '@tensorflow/tfjs-backend-wasm/package.json';
const GLUE = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
const WORKER = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
/** tfjs creates at most this many threads (its pre-started worker pool). */
export const MAX_WASM_THREADS = 8;
/** `RESNET_LAB_WASM_THREADS=1` keeps wasm on one thread; unset, it uses every core. */
export const WASM_THREADS_VARIABLE = 'RESNET_LAB_WASM_THREADS';

export class WasmThreadsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WasmThreadsError';
  }
}

/** Threads wasm should use: RESNET_LAB_WASM_THREADS, or every core the process may use (at most 8). */
export function wasmThreadsWanted(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[WASM_THREADS_VARIABLE]?.trim();
  if (text === undefined || text === '') return Math.min(os.availableParallelism(), MAX_WASM_THREADS);
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new WasmThreadsError(
      `${WASM_THREADS_VARIABLE} must be a whole number from 1 to ${MAX_WASM_THREADS}, got '${text}'.`,
    );
  }
  return threads;
}

interface PThreadModule {
  readonly PThread?: { readonly unusedWorkers: { unref(): void }[]; readonly runningWorkers: { unref(): void }[] };
}

/**
 * Prepares the wasm backend to start with `threads` threads; call before tf.setBackend('wasm') and call the returned
 * function right after it, whether it succeeded or not. With one thread it changes nothing.
 */
export function prepareWasmThreads(threads: number): () => void {
  if (threads <= 1 || typeof SharedArrayBuffer === 'undefined') return () => {};
  const files = writeThreadFiles();
  const originalCreateObjectURL = URL.createObjectURL.bind(URL);
  // The worker script is the only JavaScript blob tfjs turns into a URL.
  URL.createObjectURL = (blob: Blob) =>
    blob.type === 'application/javascript' ? files.worker : originalCreateObjectURL(blob);
  const originalCpus = os.cpus.bind(os);
  os.cpus = () => Array.from({ length: threads * 2 }, (_, index) => originalCpus()[index % originalCpus().length]!);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  return () => {
    URL.createObjectURL = originalCreateObjectURL;
    os.cpus = originalCpus;
    if (tf.getBackend() !== 'wasm') return;
    const pthreads = (tf.backend() as unknown as { wasm?: PThreadModule }).wasm?.PThread;
    for (const worker of [...(pthreads?.unusedWorkers ?? []), ...(pthreads?.runningWorkers ?? [])]) worker.unref();
  };
}

/** The worker script and the module's JavaScript as files, once per tfjs version. */
function writeThreadFiles(): { worker: string; glue: string } {
  const { version } = require(WASM_PACKAGE_JSON) as { version: string };
  const directory = path.join(os.tmpdir(), `resnet-lab-tfjs-wasm-threads-${version}`);
  const glue = path.join(directory, 'tfjs-backend-wasm-threaded-simd.js');
  const worker = path.join(directory, 'tfjs-backend-wasm-threaded-simd.worker.js');
  if (!fs.existsSync(worker)) {
    fs.mkdirSync(directory, { recursive: true });
    // Each file is written under a temporary name and renamed: processes starting together never read half a file.
    const partialGlue = `${glue}.${process.pid}.tmp`;
    fs.copyFileSync(require.resolve(GLUE), partialGlue);
    fs.renameSync(partialGlue, glue);
    const { wasmWorkerContents } = require(WORKER) as { wasmWorkerContents: string };
    // The worker would load the module's JavaScript from a Blob URL too: give it the file instead. The script's
    // string literals hold raw newlines, which tfjs escapes the same way for its Blob.
    const script = `${wasmWorkerContents.replace(/\n/g, '\\n')}\n;URL.createObjectURL = () => ${JSON.stringify(glue)};\n`;
    const partial = `${worker}.${process.pid}.tmp`;
    fs.writeFileSync(partial, script);
    fs.renameSync(partial, worker);
  }
  return { worker, glue };
}
