#!/usr/bin/env node
// Launcher for the resnet-lab CLI: the workspaces ship TypeScript sources, which tsx compiles on load.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/run-cli.ts');
const { processIo } = await import('../src/cli/cli-io.ts');
process.exitCode = await runCli(process.argv.slice(2), processIo);
