#!/usr/bin/env node
// Launcher for the resnet-lab CLI: the workspaces ship TypeScript sources, which tsx compiles on load.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/run-cli.ts');
const { processIo } = await import('../src/cli/cli-io.ts');

// The first Ctrl-C stops training at the next batch boundary, keeping the last complete checkpoint; a second
// one exits at once.
const cancel = new AbortController();
process.on('SIGINT', () => {
  if (cancel.signal.aborted) process.exit(130);
  process.stderr.write('\nCancelling after the current batch (Ctrl-C again to exit now)...\n');
  cancel.abort(new Error('Cancelled by SIGINT'));
});
process.exitCode = await runCli(process.argv.slice(2), processIo, cancel.signal);
