import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFakeNativePackage } from '../../test-support/fake-native-package.js';
import { loadTensorflow } from './load-tensorflow.js';
import { packageResolver, type ResolvePackage } from './resolve-package.js';

const GPU = '@tensorflow/tfjs-node-gpu';
const CPU = '@tensorflow/tfjs-node';
const MISSING = 'lib/napi-v8/tfjs_binding.node is missing';

let root: string;
let nodeModules: string;
let resolvePackage: ResolvePackage;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-native-'));
  nodeModules = path.join(root, 'node_modules');
  resolvePackage = packageResolver(path.join(root, 'index.js'));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  for (const { kernelName } of tf.getKernelsForBackend('tensorflow')) tf.unregisterKernel(kernelName, 'tensorflow');
  vi.restoreAllMocks();
});

describe('loadTensorflow', () => {
  it('says each package is not installed where neither is', () => {
    expect(loadTensorflow(resolvePackage)).toEqual({
      package: null,
      attempts: [
        { package: GPU, outcome: 'absent', version: null, detail: 'not installed' },
        { package: CPU, outcome: 'absent', version: null, detail: 'not installed' },
      ],
    });
  });

  it('does not import a package whose addon is missing', () => {
    writeFakeNativePackage(nodeModules, GPU);
    writeFakeNativePackage(nodeModules, CPU);
    const importPackage = vi.fn();
    expect(loadTensorflow(resolvePackage, importPackage)).toEqual({
      package: null,
      attempts: [
        { package: GPU, outcome: 'no-native-library', version: '4.22.0', detail: MISSING },
        { package: CPU, outcome: 'no-native-library', version: '4.22.0', detail: MISSING },
      ],
    });
    expect(importPackage).not.toHaveBeenCalled();
  });

  it('forgets the kernels of a package that failed to load, so the next one registers them without a warning', () => {
    const loadError = 'libtensorflow.so.2: cannot open shared object file: No such file or directory';
    writeFakeNativePackage(nodeModules, GPU, { withBinding: true, loadError });
    writeFakeNativePackage(nodeModules, CPU, { withBinding: true, loadError });
    const warn = vi.spyOn(console, 'warn');
    const { package: loaded, attempts } = loadTensorflow(resolvePackage);
    expect(loaded).toBeNull();
    expect(attempts.map(({ package: name, outcome, detail }) => ({ name, outcome, detail }))).toEqual([
      { name: GPU, outcome: 'no-native-library', detail: loadError },
      { name: CPU, outcome: 'no-native-library', detail: loadError },
    ]);
    expect(attempts.map(({ cause }) => (cause as Error).message)).toEqual([loadError, loadError]);
    expect(warn).not.toHaveBeenCalled();
    expect(tf.getKernelsForBackend('tensorflow')).toEqual([]);
  });

  it('tells a package that has its library and still fails (CUDA missing) from one without it', () => {
    const loadError = 'libcudnn.so.8: cannot open shared object file: No such file or directory';
    writeFakeNativePackage(nodeModules, GPU, { withBinding: true, loadError });
    expect(loadTensorflow(resolvePackage).attempts.map(({ outcome, detail }) => ({ outcome, detail }))).toEqual([
      { outcome: 'failed', detail: loadError },
      { outcome: 'absent', detail: 'not installed' },
    ]);
  });

  it('imports only the first package that loads', () => {
    writeFakeNativePackage(nodeModules, GPU, { withBinding: true });
    writeFakeNativePackage(nodeModules, CPU, { withBinding: true });
    const importPackage = vi.fn();
    expect(loadTensorflow(resolvePackage, importPackage)).toEqual({
      package: GPU,
      attempts: [
        { package: GPU, outcome: 'loaded', version: '4.22.0', detail: 'loaded' },
        { package: CPU, outcome: 'not-tried', version: '4.22.0', detail: `${GPU} provides the backend` },
      ],
    });
    expect(importPackage).toHaveBeenCalledTimes(1);
    expect(importPackage).toHaveBeenCalledWith(path.join(nodeModules, '@tensorflow', 'tfjs-node-gpu'));
  });
});
