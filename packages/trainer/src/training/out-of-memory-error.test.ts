import { describe, expect, it } from 'vitest';
import { OutOfMemoryError, explainStepFailure } from './out-of-memory-error.js';

const wasm = { name: 'wasm', device: 'CPU' };
/** The class the wasm runtime throws on abort (Node's type declarations here do not describe WebAssembly). */
const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }).WebAssembly
  .RuntimeError;

describe('explainStepFailure', () => {
  it("explains wasm's bare abort as running out of its 4 GB, keeping the abort as the cause", () => {
    const abort = new RuntimeError('Aborted(). Build with -sASSERTIONS for more info.');
    const explained = explainStepFailure(abort, wasm, 128);
    expect(explained).toBeInstanceOf(OutOfMemoryError);
    expect((explained as Error).message).toMatch(
      /^The wasm backend ran out of memory in a training step at batch size 128 \(Aborted\(\)\): wasm can address at most 4 GB\. Use a smaller --batch-size/,
    );
    expect((explained as Error).cause).toBe(abort);
  });

  it('explains a trap on a failed allocation the same way', () => {
    const trap = new RuntimeError('memory access out of bounds');
    expect((explainStepFailure(trap, wasm, 64) as Error).message).toMatch(
      /^The wasm backend ran out of memory in a training step at batch size 64 \(memory access out of bounds\): /,
    );
  });

  it('passes every other failure through unchanged', () => {
    const other = new Error('shape mismatch');
    expect(explainStepFailure(other, wasm, 128)).toBe(other);
    const abortOnCpu = new RuntimeError('Aborted()');
    // A wasm-side failure can only come from the wasm backend.
    expect(explainStepFailure(abortOnCpu, { name: 'cpu', device: 'CPU' }, 128)).toBe(abortOnCpu);
  });
});
