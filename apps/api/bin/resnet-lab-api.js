#!/usr/bin/env node
// Starts the ResNet Lab GraphQL API. The sources are TypeScript: tsx runs them without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main();
