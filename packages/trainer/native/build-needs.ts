// What building the oneDNN addon needs, shared by its build script and by the test that checks a machine with these
// installed did build it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const ONEDNN_HEADER = '/usr/include/oneapi/dnnl/dnnl.hpp';
/** Node's headers, which Node's Debian and NodeSource packages install beside the binary's prefix. */
export const NODE_HEADERS = path.join(path.dirname(process.execPath), '..', 'include', 'node');

/** What is missing for the build, each as a short phrase; empty where it can run. */
export function missingBuildNeeds(): string[] {
  const missing: string[] = [];
  try {
    execFileSync('g++', ['--version'], { stdio: 'ignore' });
  } catch {
    missing.push('no g++');
  }
  if (!existsSync(ONEDNN_HEADER)) missing.push(`no oneDNN headers (${ONEDNN_HEADER}, from libdnnl-dev)`);
  if (!existsSync(path.join(NODE_HEADERS, 'node_api.h'))) missing.push(`no Node headers in ${NODE_HEADERS}`);
  return missing;
}
