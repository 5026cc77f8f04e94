// Repairs what a crash can leave between the database and the artifact store, run by every worker when it starts:
// an epoch directory without a checkpoint row (the worker died before the epoch's transaction committed), or one
// whose row is marked pruned (it died after the commit, before deleting the files), is removed; a row that claims
// files which are gone is marked pruned, so that promote, predict, evaluate and resume refuse it with a clear
// message instead of failing. Runs that train right now are left alone: each run is swept under a lock on its row,
// so a worker cannot claim it halfway through.
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { PrismaClient } from '../generated/prisma/client.js';

/** `runs/<id>/checkpoints/epoch-0007`: the per-epoch directories the trainer writes, and nothing else of a run. */
const EPOCH_DIRECTORY = /^epoch-\d{4,}$/;

export interface SweepResult {
  /** Keys of directories removed. */
  readonly removed: readonly string[];
  /** Ids of checkpoints marked pruned because their files were gone. */
  readonly markedMissing: readonly string[];
}

export async function sweepArtifacts(
  prisma: PrismaClient,
  artifacts: ArtifactStore,
  log: (message: string) => void = () => {},
): Promise<SweepResult> {
  const removed: string[] = [];
  const markedMissing: string[] = [];
  const runIds = (await artifacts.list('runs')).map((key) => key.slice('runs/'.length));
  const withRows = await prisma.run.findMany({
    where: { OR: [{ id: { in: runIds } }, { checkpoints: { some: { prunedAt: null } } }] },
    select: { id: true },
  });
  for (const { id } of withRows) {
    await prisma.$transaction(async (transaction) => {
      const [row] = await transaction.$queryRaw<{ status: string }[]>`
        SELECT status::text FROM "Run" WHERE id = ${id} FOR UPDATE`;
      if (!row || row.status === 'RUNNING') return;
      const checkpoints = await transaction.checkpoint.findMany({ where: { runId: id } });
      const kept = new Set(checkpoints.filter((c) => c.prunedAt === null).map((c) => c.location));
      for (const key of await artifacts.list(`runs/${id}/checkpoints`)) {
        const name = key.slice(key.lastIndexOf('/') + 1);
        if (EPOCH_DIRECTORY.test(name) && !kept.has(key)) {
          await artifacts.remove(key);
          removed.push(key);
        }
      }
      for (const checkpoint of checkpoints) {
        if (checkpoint.prunedAt !== null || (await artifacts.exists(checkpoint.location))) continue;
        await transaction.checkpoint.update({ where: { id: checkpoint.id }, data: { prunedAt: new Date() } });
        markedMissing.push(checkpoint.id);
      }
    });
  }
  if (removed.length > 0 || markedMissing.length > 0) {
    log(
      `Artifact sweep: removed ${removed.length} directories left by interrupted epochs` +
        `${removed.length ? ` (${removed.join(', ')})` : ''}; marked ${markedMissing.length} checkpoints whose ` +
        'files were gone as pruned.',
    );
  }
  return { removed, markedMissing };
}
