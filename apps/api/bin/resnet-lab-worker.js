#!/usr/bin/env node
// Starts a ResNet Lab training worker. The sources are TypeScript: tsx runs them without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/worker/worker-main.ts');
const { describeFatalError } = await import('../src/describe-fatal-error.ts');
try {
  process.exitCode = await main();
} catch (error) {
  // Rather than Node's report of an uncaught error, which opens with the source line that threw: for a minified
  // module (Prisma's runtime) that line is the whole file.
  console.error(describeFatalError(error));
  process.exitCode = 1;
}
// tfjs and the queue may leave handles open; the worker has settled everything by now.
process.exit();
