import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { MAX_WASM_THREADS, WasmThreadsError, wasmThreadsWanted } from './wasm-threads.js';

describe('wasmThreadsWanted', () => {
  it('uses every core the process may use, at most 8, unless RESNET_LAB_WASM_THREADS says otherwise', () => {
    expect(wasmThreadsWanted({})).toBe(Math.min(os.availableParallelism(), MAX_WASM_THREADS));
    expect(wasmThreadsWanted({ RESNET_LAB_WASM_THREADS: '1' })).toBe(1);
    expect(wasmThreadsWanted({ RESNET_LAB_WASM_THREADS: ' 8 ' })).toBe(8);
  });

  it.each(['0', '9', '2.5', 'all'])('refuses RESNET_LAB_WASM_THREADS=%s, saying what is allowed', (value) => {
    expect(() => wasmThreadsWanted({ RESNET_LAB_WASM_THREADS: value })).toThrow(
      new WasmThreadsError(`RESNET_LAB_WASM_THREADS must be a whole number from 1 to 8, got '${value}'.`),
    );
  });
});
