// A recorder process that dies: it records one epoch of a run through RunRecorder, as a worker does, and SIGKILLs
// itself right after the n-th step: the n-th database statement, or just before the n-th file deletion after the
// commit.
// With n = 0 it records the whole epoch and prints how many steps that took.
// Usage: tsx record-epoch-with-fault.ts <database url> <artifact dir> <run id> <epoch> <checkpoint dir> <n>
import { DirectoryArtifactStore, RunRecorder, openDatabase } from '@resnet-lab/api';
import { epochEvent } from './epoch-event.js';

const [databaseUrl, artifactDir, runId, epochText, checkpointDirectory, killAfterText] = process.argv.slice(2);
const epoch = Number(epochText);
const killAfter = Number(killAfterText);
let steps = 0;
function step(): void {
  steps++;
  if (steps === killAfter) process.kill(process.pid, 'SIGKILL');
}

const database = await openDatabase({ dataDir: artifactDir!, databaseUrl: databaseUrl! }, { migrate: false });
// Every operation, inside transactions too, and raw ones (the NOTIFYs), counts as a step once it has completed.
const prisma = database.prisma.$extends({
  query: {
    async $allOperations({ args, query }: { args: unknown; query: (args: unknown) => Promise<unknown> }) {
      const result = await query(args);
      step();
      return result;
    },
  },
});
const store = new DirectoryArtifactStore(artifactDir!);
const faultyStore = Object.assign(Object.create(store) as DirectoryArtifactStore, {
  async remove(key: string) {
    step();
    await store.remove(key);
  },
});
const recorder = new RunRecorder(prisma as unknown as typeof database.prisma, faultyStore);
await recorder.record(runId!, ...epochEvent(epoch, checkpointDirectory!));
await database.close();
console.log(`steps: ${steps}`);
