import { describe, expect, it } from 'vitest';
import type { BackendInfo } from './compute-backend.js';
import type { TensorflowPackageAttempt } from './load-tensorflow.js';
import { nativeLibraryNotice } from './native-library-notice.js';

const WASM: BackendInfo = {
  name: 'wasm',
  device: 'CPU (wasm, 2 threads, SIMD)',
  package: '@tensorflow/tfjs-backend-wasm',
  gpu: false,
};
const NATIVE_CPU: BackendInfo = {
  name: 'tensorflow',
  device: 'CPU (libtensorflow, 2 threads)',
  package: '@tensorflow/tfjs-node',
  gpu: false,
};
const MISSING = 'lib/napi-v8/tfjs_binding.node is missing';

function attempt(
  name: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node',
  outcome: TensorflowPackageAttempt['outcome'],
  detail: string,
): TensorflowPackageAttempt {
  return { package: name, outcome, version: outcome === 'absent' ? null : '4.22.0', detail };
}

describe('nativeLibraryNotice', () => {
  it('says nothing where the native packages are absent or loaded', () => {
    const absent = [
      attempt('@tensorflow/tfjs-node-gpu', 'absent', 'not installed'),
      attempt('@tensorflow/tfjs-node', 'absent', 'not installed'),
    ];
    expect(nativeLibraryNotice(absent, WASM)).toBeNull();
    const loaded = [
      attempt('@tensorflow/tfjs-node-gpu', 'absent', 'not installed'),
      attempt('@tensorflow/tfjs-node', 'loaded', 'loaded'),
    ];
    expect(nativeLibraryNotice(loaded, NATIVE_CPU)).toBeNull();
  });

  it('names the GPU package installed without its library, what runs instead and the command that fixes it', () => {
    const attempts = [
      attempt('@tensorflow/tfjs-node-gpu', 'no-native-library', MISSING),
      attempt('@tensorflow/tfjs-node', 'absent', 'not installed'),
    ];
    expect(nativeLibraryNotice(attempts, WASM)).toBe(
      "@tensorflow/tfjs-node-gpu is installed without its native library (lib/napi-v8/tfjs_binding.node is missing): running on wasm. To use the GPU, run its install script: npm rebuild @tensorflow/tfjs-node-gpu (it downloads libtensorflow; package.json's allowScripts lets it run).",
    );
  });

  it('names both packages in one sentence where both miss the same file, as npm 12 leaves them', () => {
    const attempts = [
      attempt('@tensorflow/tfjs-node-gpu', 'no-native-library', MISSING),
      attempt('@tensorflow/tfjs-node', 'no-native-library', MISSING),
    ];
    expect(nativeLibraryNotice(attempts, WASM)).toBe(
      "@tensorflow/tfjs-node-gpu and @tensorflow/tfjs-node are installed without their native library (lib/napi-v8/tfjs_binding.node is missing): running on wasm. To use the GPU, run their install scripts: npm rebuild @tensorflow/tfjs-node-gpu @tensorflow/tfjs-node (they download libtensorflow; package.json's allowScripts lets them run).",
    );
  });

  it('says so where libtensorflow runs on the CPU because the GPU package has no library', () => {
    const attempts = [
      attempt('@tensorflow/tfjs-node-gpu', 'no-native-library', MISSING),
      attempt('@tensorflow/tfjs-node', 'loaded', 'loaded'),
    ];
    expect(nativeLibraryNotice(attempts, NATIVE_CPU)).toBe(
      "@tensorflow/tfjs-node-gpu is installed without its native library (lib/napi-v8/tfjs_binding.node is missing): running on tensorflow (@tensorflow/tfjs-node). To use the GPU, run its install script: npm rebuild @tensorflow/tfjs-node-gpu (it downloads libtensorflow; package.json's allowScripts lets it run).",
    );
  });

  it('offers libtensorflow, not the GPU, where only the CPU package lacks its library', () => {
    const attempts = [
      attempt('@tensorflow/tfjs-node-gpu', 'absent', 'not installed'),
      attempt('@tensorflow/tfjs-node', 'no-native-library', 'libtensorflow.so.2: cannot open shared object file'),
    ];
    expect(nativeLibraryNotice(attempts, WASM)).toBe(
      "@tensorflow/tfjs-node is installed without its native library (libtensorflow.so.2: cannot open shared object file): running on wasm. To use libtensorflow, run its install script: npm rebuild @tensorflow/tfjs-node (it downloads libtensorflow; package.json's allowScripts lets it run).",
    );
  });

  it('gives the load error of a package that has its library and still fails, pointing at doctor', () => {
    const cuda = 'libcudnn.so.8: cannot open shared object file: No such file or directory';
    const attempts = [
      attempt('@tensorflow/tfjs-node-gpu', 'failed', cuda),
      attempt('@tensorflow/tfjs-node', 'absent', 'not installed'),
    ];
    expect(nativeLibraryNotice(attempts, WASM)).toBe(
      '@tensorflow/tfjs-node-gpu did not load (libcudnn.so.8: cannot open shared object file: No such file or directory): running on wasm. resnet-lab doctor says more.',
    );
  });
});
