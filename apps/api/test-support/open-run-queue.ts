// A process that opens the run queue and exits: run-queue.test.ts starts several at once on a fresh database.
// Usage: node --import tsx open-run-queue.ts <database url> <epoch ms to open at, so that all open at once>
import { RunQueue } from '../src/queue/run-queue.js';

await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(process.argv[3]) - Date.now())));
const queue = await RunQueue.open(process.argv[2]!);
await queue.close();
