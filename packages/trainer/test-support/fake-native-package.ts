// Lays out @tensorflow/tfjs-node(-gpu) in a node_modules directory as npm 12 leaves them when it blocks their install
// script: the package's package.json and JavaScript, without lib/napi-v8/tfjs_binding.node (and without deps/lib).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** The `binary` field of @tensorflow/tfjs-node 4.22's package.json, which says where node-pre-gyp puts the addon. */
const BINARY = {
  module_name: 'tfjs_binding',
  module_path: './lib/napi-v{napi_build_version}',
  host: 'https://storage.googleapis.com/tf-builds/pre-built-binary',
  remote_path: './napi-v{napi_build_version}/{version}/',
  napi_versions: [3, 4, 5, 6, 7, 8],
};

export interface FakeNativePackageOptions {
  /** Lay down an (empty) lib/napi-v8/tfjs_binding.node, as if the install script had half run. Default false. */
  readonly withBinding?: boolean;
  /** The error that loading the package throws (default tfjs-node's own, for a missing addon). */
  readonly loadError?: string;
}

/**
 * Writes `<nodeModules>/<name>` and returns its directory. Its JavaScript does what tfjs-node 4.22's does where its
 * native library is missing: registers a kernel for the backend 'tensorflow' (the real one registers about 150), then
 * throws. Loading two of them reports the second's kernel as already registered.
 */
export function writeFakeNativePackage(
  nodeModules: string,
  name: string,
  options: FakeNativePackageOptions = {},
): string {
  const directory = path.join(nodeModules, ...name.split('/'));
  fs.mkdirSync(path.join(directory, 'dist'), { recursive: true });
  const manifest = { name, version: '4.22.0', main: 'dist/index.js', binary: BINARY };
  fs.writeFileSync(path.join(directory, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // The fake lies outside this repository's node_modules: it finds TensorFlow.js by absolute path.
  const tfjs = createRequire(import.meta.url).resolve('@tensorflow/tfjs');
  const loadError =
    options.loadError ??
    `The Node.js native addon module (tfjs_binding.node) can not be found at path: ${path.join(directory, 'lib', 'napi-v8', 'tfjs_binding.node')}. \nPlease run command 'npm rebuild ${name} --build-addon-from-source' to rebuild the native addon module.`;
  fs.writeFileSync(
    path.join(directory, 'dist', 'index.js'),
    [
      `const tf = require(${JSON.stringify(tfjs)});`,
      "tf.registerKernel({ kernelName: 'Abs', backendName: 'tensorflow', kernelFunc: () => { throw new Error('fake'); } });",
      `throw new Error(${JSON.stringify(loadError)});`,
      '',
    ].join('\n'),
  );
  if (options.withBinding === true) {
    fs.mkdirSync(path.join(directory, 'lib', 'napi-v8'), { recursive: true });
    fs.writeFileSync(path.join(directory, 'lib', 'napi-v8', 'tfjs_binding.node'), '');
  }
  return directory;
}
