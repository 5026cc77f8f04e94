#!/usr/bin/env node
// Starts a ResNet Lab training worker. The sources are TypeScript: tsx runs them without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/worker/worker-main.ts');
process.exitCode = await main();
// tfjs and the queue may leave handles open; the worker has settled everything by now.
process.exit();
