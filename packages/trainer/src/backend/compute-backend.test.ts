import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFakeNativePackage } from '../../test-support/fake-native-package.js';
import {
  BACKEND_CHOICES,
  BackendUnavailableError,
  UnknownBackendError,
  availableBackends,
  createBackendSelector,
  useBackend,
  type BackendChoice,
} from './compute-backend.js';
import { packageResolver } from './resolve-package.js';

const require = createRequire(import.meta.url);
function isInstalled(packageName: string): boolean {
  try {
    require.resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

/** npm skips the native backends where their install cannot download libtensorflow, as in this sandbox. */
const nativeInstalled = isInstalled('@tensorflow/tfjs-node-gpu') || isInstalled('@tensorflow/tfjs-node');

beforeEach(async () => {
  await tf.setBackend('cpu');
});

describe('useBackend', () => {
  it('lists the choices fastest first', () => {
    expect(BACKEND_CHOICES).toEqual(['auto', 'tensorflow', 'wasm', 'cpu']);
  });

  it.skipIf(nativeInstalled)('picks wasm with its training kernels where no native backend is installed', async () => {
    expect(await availableBackends()).toEqual(['wasm', 'cpu']);
    expect(await useBackend()).toEqual({
      name: 'wasm',
      // oneDNN computes convolutions and element-wise arithmetic where its addon is built (onednn-kernels.test.ts).
      device: expect.stringMatching(
        /^CPU \(wasm, \d+ threads?, (SIMD|no SIMD)(; oneDNN \d+\.\d+\.\d+ kernels)?\)$/,
      ) as unknown,
      package: '@tensorflow/tfjs-backend-wasm',
      gpu: false,
    });
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it.runIf(nativeInstalled)('picks libtensorflow where a native backend is installed', async () => {
    expect(await availableBackends()).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(await useBackend('auto')).toMatchObject({
      name: 'tensorflow',
      package: expect.stringMatching(/^@tensorflow\/tfjs-node/) as unknown,
    });
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it.skipIf(nativeInstalled)(
    'refuses tensorflow where neither native package loads, saying why and what can run',
    async () => {
      const error = await useBackend('tensorflow').then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(BackendUnavailableError);
      expect(error).toMatchObject({ backend: 'tensorflow', available: ['wasm', 'cpu'] });
      expect((error as Error).message).toBe(
        "Backend 'tensorflow' is not available: @tensorflow/tfjs-node-gpu is not installed; @tensorflow/tfjs-node is not installed. Available: wasm, cpu.",
      );
      expect((error as Error).cause).toBeInstanceOf(AggregateError);
      expect(tf.getBackend()).toBe('cpu');
    },
  );

  it('activates the cpu backend on request', async () => {
    await useBackend('wasm');
    expect(await useBackend('cpu')).toEqual({
      name: 'cpu',
      device: 'CPU (JavaScript)',
      package: '@tensorflow/tfjs-backend-cpu',
      gpu: false,
    });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('can be called again with the same answer', async () => {
    const first = await useBackend('wasm');
    expect(await useBackend('wasm')).toEqual(first);
    expect(tf.getBackend()).toBe('wasm');
    // The training kernels still run after a second registration.
    const gradient = tf.grad((filter) =>
      tf.sum(tf.conv2d(tf.ones<tf.Rank.R4>([1, 4, 4, 1]), filter as tf.Tensor4D, 1, 'valid')),
    );
    expect(Array.from(gradient(tf.ones([3, 3, 1, 1])).dataSync())).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 4]);
  });

  it('rejects an unknown choice, listing the allowed ones', async () => {
    const error = await useBackend('gpu' as BackendChoice).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(UnknownBackendError);
    expect((error as Error).message).toBe("Expected backend to be one of auto, tensorflow, wasm, cpu, got 'gpu'.");
  });
});

/** Everything written to stdout, stderr and the console while it runs, in order; nothing reaches the terminal. */
function captureOutput(): () => string[] {
  const written: string[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    vi.spyOn(process[stream], 'write').mockImplementation((text: string | Uint8Array) => {
      written.push(`${stream}: ${String(text)}`);
      return true;
    });
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(`console.${method}: ${args.map(String).join(' ')}`);
    });
  }
  return () => written;
}

describe('createBackendSelector where npm 12 installed the native packages without their library', () => {
  const NOTICE =
    "@tensorflow/tfjs-node-gpu and @tensorflow/tfjs-node are installed without their native library (lib/napi-v8/tfjs_binding.node is missing): running on wasm. To use the GPU, run their install scripts: npm rebuild @tensorflow/tfjs-node-gpu @tensorflow/tfjs-node (they download libtensorflow; package.json's allowScripts lets them run).";
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-native-'));
    writeFakeNativePackage(path.join(root, 'node_modules'), '@tensorflow/tfjs-node-gpu');
    writeFakeNativePackage(path.join(root, 'node_modules'), '@tensorflow/tfjs-node');
  });

  afterEach(() => {
    vi.restoreAllMocks();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('falls back to wasm and says why in one line on stderr, once, and nothing else', async () => {
    const selector = createBackendSelector({ resolvePackage: packageResolver(path.join(root, 'index.js')) });
    const written = captureOutput();
    const first = await selector.useBackend('auto');
    const second = await selector.useBackend('auto');
    vi.restoreAllMocks();
    expect(first).toMatchObject({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm' });
    expect(second).toEqual(first);
    expect(tf.getBackend()).toBe('wasm');
    expect(written()).toEqual([`stderr: ${NOTICE}\n`]);
    // Neither package's JavaScript ran: it would have registered a kernel.
    expect(tf.getKernelsForBackend('tensorflow')).toEqual([]);
  });

  it('gives the line to the notify option instead, for callers that log elsewhere', async () => {
    const lines: string[] = [];
    const selector = createBackendSelector({
      resolvePackage: packageResolver(path.join(root, 'index.js')),
      notify: (line) => lines.push(line),
    });
    const written = captureOutput();
    await selector.useBackend('auto');
    vi.restoreAllMocks();
    expect(lines).toEqual([NOTICE]);
    expect(written()).toEqual([]);
  });

  it('refuses tensorflow by name, saying which file is missing and the command that fixes it', async () => {
    const selector = createBackendSelector({
      resolvePackage: packageResolver(path.join(root, 'index.js')),
      notify: () => {},
    });
    const error = await selector.useBackend('tensorflow').then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toBe(
      "Backend 'tensorflow' is not available: @tensorflow/tfjs-node-gpu is installed without its native library (lib/napi-v8/tfjs_binding.node is missing); @tensorflow/tfjs-node is installed without its native library (lib/napi-v8/tfjs_binding.node is missing). Available: wasm, cpu. To load it: npm rebuild @tensorflow/tfjs-node-gpu @tensorflow/tfjs-node.",
    );
  });

  it('says nothing where the native packages are simply not installed', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-native-'));
    const selector = createBackendSelector({ resolvePackage: packageResolver(path.join(empty, 'index.js')) });
    const written = captureOutput();
    expect(await selector.useBackend('auto')).toMatchObject({ name: 'wasm' });
    vi.restoreAllMocks();
    fs.rmSync(empty, { recursive: true, force: true });
    expect(written()).toEqual([]);
  });
});
