import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFakeNativePackage } from '../../test-support/fake-native-package.js';
import { inspectNativePackage } from './inspect-native-package.js';
import { packageResolver } from './resolve-package.js';

let root: string;
let resolvePackage: ReturnType<typeof packageResolver>;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-native-'));
  resolvePackage = packageResolver(path.join(root, 'index.js'));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('inspectNativePackage', () => {
  it('says a package that Node cannot find is not installed', () => {
    expect(inspectNativePackage('@tensorflow/tfjs-node-gpu', resolvePackage)).toEqual({
      name: '@tensorflow/tfjs-node-gpu',
      installed: false,
    });
  });

  it('finds the addon missing where the install script did not run, at the path node-pre-gyp would load', () => {
    const directory = writeFakeNativePackage(path.join(root, 'node_modules'), '@tensorflow/tfjs-node-gpu');
    expect(inspectNativePackage('@tensorflow/tfjs-node-gpu', resolvePackage, 9)).toEqual({
      name: '@tensorflow/tfjs-node-gpu',
      installed: true,
      directory,
      version: '4.22.0',
      binding: 'lib/napi-v8/tfjs_binding.node',
      bindingBuilt: false,
    });
  });

  it('finds the addon where it was built', () => {
    writeFakeNativePackage(path.join(root, 'node_modules'), '@tensorflow/tfjs-node', { withBinding: true });
    expect(inspectNativePackage('@tensorflow/tfjs-node', resolvePackage, 10)).toMatchObject({
      binding: 'lib/napi-v8/tfjs_binding.node',
      bindingBuilt: true,
    });
  });

  it("picks the highest of the package's Node-API versions that this Node supports", () => {
    writeFakeNativePackage(path.join(root, 'node_modules'), '@tensorflow/tfjs-node');
    expect(inspectNativePackage('@tensorflow/tfjs-node', resolvePackage, 6)).toMatchObject({
      binding: 'lib/napi-v6/tfjs_binding.node',
      bindingBuilt: false,
    });
    // None usable: loading the package is left to say so.
    expect(inspectNativePackage('@tensorflow/tfjs-node', resolvePackage, 2)).toMatchObject({
      binding: null,
      bindingBuilt: true,
    });
  });
});
