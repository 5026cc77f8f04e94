// Builds the oneDNN kernels addon (onednn-kernels.cc) where its build needs are installed: g++, Node's
// headers and Debian's libdnnl-dev. `npm install` runs this; where a need is missing it says which and what to
// install, and exits 0, because training then runs on wasm's own kernels.
//
// A plain g++ call, not node-gyp: node-gyp downloads Node's headers, and this machine has no internet; the headers
// come with Node's Debian and NodeSource packages.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_HEADERS, missingBuildNeeds } from './build-needs.js';

const NATIVE_DIRECTORY = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = path.join(NATIVE_DIRECTORY, 'onednn-kernels.cc');
const OUTPUT = path.join(NATIVE_DIRECTORY, '..', 'build', 'native', 'onednn-kernels.node');
const INSTALL_HINT = 'apt-get install g++ libdnnl-dev, then npm run build:native';

function main(): number {
  const missing = missingBuildNeeds();
  const upToDate = existsSync(OUTPUT) && statSync(OUTPUT).mtimeMs >= statSync(SOURCE).mtimeMs;
  if (missing.length > 0) {
    // An addon built from older sources may lack what the TypeScript side now calls.
    if (!upToDate) rmSync(OUTPUT, { force: true });
    console.log(`oneDNN addon not built: ${missing.join('; ')}. Training uses wasm's own kernels (${INSTALL_HINT}).`);
    return 0;
  }
  if (upToDate) {
    console.log(`oneDNN addon up to date: ${path.relative(process.cwd(), OUTPUT)}`);
    return 0;
  }
  mkdirSync(path.dirname(OUTPUT), { recursive: true });
  // A failed build must not leave the previous addon behind, built from other sources.
  rmSync(OUTPUT, { force: true });
  try {
    execFileSync(
      'g++',
      [
        '-O2',
        // Threads and vectorized loops for the batch-norm kernels (libgomp, which libdnnl uses too).
        '-fopenmp',
        '-std=c++17',
        '-shared',
        '-fPIC',
        '-DNODE_GYP_MODULE_NAME=onednn_kernels',
        `-I${NODE_HEADERS}`,
        SOURCE,
        '-ldnnl',
        '-o',
        OUTPUT,
      ],
      { stdio: 'inherit' },
    );
  } catch {
    // The tests fail where libdnnl-dev is installed and the addon is not active (onednn-kernels.test.ts).
    console.error(`oneDNN addon build failed (g++ output above). Training uses wasm's own kernels.`);
    return 0;
  }
  console.log(`oneDNN addon built: ${path.relative(process.cwd(), OUTPUT)}`);
  return 0;
}

process.exitCode = main();
