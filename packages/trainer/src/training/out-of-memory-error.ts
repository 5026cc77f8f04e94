// Turns the wasm backend's bare abort on memory exhaustion into an error that says what to change.
import type { BackendReport } from './training-events.js';

/** A training or benchmark step needed more memory than the backend can address. */
export class OutOfMemoryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OutOfMemoryError';
  }
}

/**
 * wasm is a 32-bit address space (at most 4 GB). When an allocation fails, tfjs-backend-wasm either aborts the
 * module ("RuntimeError: Aborted()", XNNPACK reporting status 6, out of memory, just before) or goes on with a null
 * buffer and traps ("RuntimeError: memory access out of bounds"). Both leave the module unusable. Returns the error
 * to throw instead: an OutOfMemoryError for a wasm runtime error, the original error otherwise.
 */
export function explainStepFailure(error: unknown, backend: BackendReport, batchSize: number): unknown {
  // WebAssembly.RuntimeError, matched by name: Node's type declarations here do not describe WebAssembly.
  const wasmTrap = backend.name === 'wasm' && error instanceof Error && error.name === 'RuntimeError';
  if (!wasmTrap) return error;
  return new OutOfMemoryError(
    `The wasm backend ran out of memory in a training step at batch size ${batchSize} (${error.message.split('.')[0]}): ` +
      `wasm can address at most 4 GB. Use a smaller --batch-size or --width, or the tensorflow backend ` +
      `(@tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu). The wasm module is unusable after this; start a new process.`,
    { cause: error },
  );
}
