'use client';
// One run, live: curves that grow as epochs finish, the whole run's batch loss (stored, then live), checkpoints to
// promote, and cancel and resume.
import Link from 'next/link';
import { notFound, useParams, useRouter } from 'next/navigation';
import { useState } from 'react';
import { RunProgress, StatusBadge } from '../../../components/run-status';
import { ErrorMessage, QueryView } from '../../../components/states';
import type { CheckpointRowFragment, RunQuery } from '../../../generated/graphql';
import { useApi, useQuery, useSubscription } from '../../../lib/api-context';
import { addLiveBatch, type BatchPoint } from '../../../lib/batch-points';
import { CANCEL_RUN, FINAL_STATUSES, PROMOTE, RESUME_RUN, RUN, RUN_PROGRESS } from '../../../lib/documents';
import { dateTime, duration, fixed, percent } from '../../../lib/format';
import { RunAnnotations } from '../../../ui/runs/run-annotations';
import { useDocumentTitle } from '../../../lib/use-document-title';
import { RunHistory } from '../../../ui/runs/run-history';
import { RunLogs } from '../../../ui/runs/run-logs';
import { SystemMetrics } from '../../../ui/runs/system-metrics';
import { RunDownloads } from '../../../ui/runs/run-downloads';
import { RunActions } from '../../../ui/runs/run-actions';
import { DownloadLink } from '../../../ui/access/download-link';

type RunDetail = NonNullable<RunQuery['run']>;

export default function RunPage() {
  const { id } = useParams<{ id: string }>();
  const api = useApi();
  const router = useRouter();
  const run = useQuery(RUN, { id });
  const [liveBatches, setLiveBatches] = useState<BatchPoint[]>([]);
  const [actionError, setActionError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const live = run.data?.run && !FINAL_STATUSES.has(run.data.run.status);
  useDocumentTitle(run.data?.run?.name);

  useSubscription(
    RUN_PROGRESS,
    { runId: id },
    ({ runProgress: event }) => {
      const update = (change: (current: RunDetail) => RunDetail) =>
        run.setData((previous) => (previous?.run ? { run: change(previous.run) } : previous));
      switch (event.__typename) {
        case 'BatchProgress':
          // The backend and device are known once the worker has started: fetch them with the first batch.
          if (run.data?.run && run.data.run.backend === null && event.batch === 1) run.refetch();
          setLiveBatches((previous) =>
            addLiveBatch(
              previous,
              { step: (event.epoch - 1) * event.batches + event.batch, loss: event.loss },
              run.data?.run?.epochs ?? event.epoch,
              event.batches,
            ),
          );
          update((current) => ({
            ...current,
            status: 'RUNNING',
            currentEpoch: event.epoch,
            currentBatch: event.batch,
            batchesPerEpoch: event.batches,
            progress: event.progress,
            imagesPerSecond: event.imagesPerSecond,
          }));
          break;
        case 'EpochCompleted':
          update((current) =>
            current.metrics.some((metric) => metric.epoch === event.metric.epoch)
              ? current
              : {
                  ...current,
                  metrics: [...current.metrics, event.metric],
                  currentEpoch: event.metric.epoch,
                  bestTestAccuracy:
                    event.metric.testAccuracy === null
                      ? current.bestTestAccuracy
                      : Math.max(current.bestTestAccuracy ?? 0, event.metric.testAccuracy),
                },
          );
          break;
        case 'CheckpointSaved':
          update((current) =>
            current.checkpoints.some((checkpoint) => checkpoint.id === event.checkpoint.id)
              ? current
              : { ...current, checkpoints: [...current.checkpoints, event.checkpoint] },
          );
          break;
        case 'RunStatusChanged':
          // Status changes carry timing, errors and pruning: fetch the whole run again.
          run.refetch();
          break;
      }
    },
    !live,
  );

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setActionError(null);
    try {
      await action();
    } catch (error) {
      setActionError(error as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <QueryView state={run} what="the run">
      {(data) => {
        const current = data.run;
        if (!current) notFound();
        const canResume =
          FINAL_STATUSES.has(current.status) && current.status !== 'COMPLETED' && current.latestCheckpoint;
        return (
          <>
            <h1>
              {current.name} <StatusBadge status={current.status} />
            </h1>
            <div className="toolbar">
              <RunProgress run={current} />
              {!FINAL_STATUSES.has(current.status) && (
                <button
                  className="danger"
                  disabled={busy}
                  onClick={() =>
                    void act(async () => {
                      await api.mutate(CANCEL_RUN, { id });
                      run.refetch();
                    })
                  }
                >
                  Cancel run
                </button>
              )}
              {FINAL_STATUSES.has(current.status) && current.latestCheckpoint && (
                <button
                  disabled={busy}
                  onClick={() =>
                    void act(async () => {
                      const epochs = canResume ? current.epochs : current.epochs + 10;
                      const result = await api.mutate(RESUME_RUN, {
                        input: { runId: id, epochs },
                      });
                      router.push(`/runs/${result.resumeRun.id}`);
                    })
                  }
                >
                  {canResume ? `Resume from epoch ${current.latestCheckpoint.epoch}` : 'Train 10 more epochs'}
                </button>
              )}
              <RunActions run={current} onChanged={run.refetch} />
            </div>
            {actionError && <ErrorMessage error={actionError} />}
            {current.status === 'FAILED' && current.errorMessage && (
              <div className="state error" role="alert" data-testid="run-error">
                <strong>Failed:</strong> <pre style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{current.errorMessage}</pre>
              </div>
            )}
            <dl className="facts">
              <dt>Model</dt>
              <dd>
                <Link href="/models">{current.model.name}</Link>
              </dd>
              <dt>Dataset</dt>
              <dd>{current.dataset.name}</dd>
              {current.source === 'IMPORT' && (
                <>
                  <dt>Source</dt>
                  <dd data-testid="run-source">weights imported from a safetensors file; nothing trained here</dd>
                </>
              )}
              <dt>Backend</dt>
              <dd>{current.backend ? `${current.backend} (${current.device})` : '–'}</dd>
              {current.worker && (
                <>
                  <dt>Worker</dt>
                  <dd data-testid="run-worker">
                    {current.worker.host} ({current.worker.device})
                  </dd>
                </>
              )}
              {current.attempts > 1 && (
                <>
                  <dt>Attempts</dt>
                  <dd title="Its worker was lost and the run was re-queued (RUN_RETRIES)">{current.attempts}</dd>
                </>
              )}
              <dt>Best test accuracy</dt>
              <dd>{percent(current.bestTestAccuracy, 2)}</dd>
              <dt>Images/s</dt>
              <dd>{fixed(current.imagesPerSecond, 1)}</dd>
              <dt>Started / finished</dt>
              <dd>
                {dateTime(current.startedAt)} / {dateTime(current.finishedAt)} ({duration(current.durationSeconds)})
              </dd>
              {current.resumedFrom && (
                <>
                  <dt>Resumed from</dt>
                  <dd>
                    <Link href={`/runs/${current.resumedFrom.run.id}`}>{current.resumedFrom.run.name}</Link>, epoch{' '}
                    {current.resumedFrom.epoch}
                  </dd>
                </>
              )}
            </dl>
            <RunAnnotations runId={current.id} />

            <RunHistory run={current} liveBatches={liveBatches} />
            <RunDownloads run={current} />
            <SystemMetrics runId={current.id} live={!FINAL_STATUSES.has(current.status)} />
            <RunLogs runId={current.id} />

            <h2>Checkpoints</h2>
            <Checkpoints checkpoints={current.checkpoints} onPromoted={run.refetch} />

            <h2>Hyperparameters</h2>
            <table>
              <tbody>
                {Object.entries(current.hyperparameters)
                  // urql asks for every object's __typename (its cache needs it); it is not a hyperparameter.
                  .filter(([name]) => name !== '__typename')
                  .map(([name, value]) => (
                    <tr key={name}>
                      <th>{name}</th>
                      <td>{Array.isArray(value) ? value.join(', ') : String(value)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </>
        );
      }}
    </QueryView>
  );
}

function Checkpoints({ checkpoints, onPromoted }: { checkpoints: CheckpointRowFragment[]; onPromoted: () => void }) {
  const api = useApi();
  const [aliases, setAliases] = useState('production');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  if (checkpoints.length === 0) return <p className="state">No checkpoint yet: one is saved after each epoch.</p>;
  const promote = async (checkpoint: CheckpointRowFragment) => {
    setError(null);
    try {
      const list = aliases
        .split(',')
        .map((alias) => alias.trim())
        .filter(Boolean);
      const result = await api.mutate(PROMOTE, { input: { checkpointId: checkpoint.id, aliases: list } });
      const { version, model } = result.promoteCheckpoint;
      setMessage(
        `Epoch ${checkpoint.epoch} is now ${model.name} v${version}${list.length ? ` (${list.join(', ')})` : ''}.`,
      );
      onPromoted();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <>
      <div className="toolbar">
        <label>
          Aliases for promoted versions (comma-separated)
          <input value={aliases} onChange={(event) => setAliases(event.target.value)} />
        </label>
      </div>
      {message && (
        <p className="state" role="status" data-testid="promote-message">
          {message}
        </p>
      )}
      {error && <ErrorMessage error={error} />}
      <table data-testid="checkpoints-table">
        <thead>
          <tr>
            <th className="number">Epoch</th>
            <th className="number">Test acc.</th>
            <th className="number">Test loss</th>
            <th>Best when saved</th>
            <th className="number">Size</th>
            <th>Versions</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {checkpoints.map((checkpoint) => (
            <tr key={checkpoint.id}>
              <td className="number">{checkpoint.epoch}</td>
              <td className="number">{percent(checkpoint.testAccuracy, 2)}</td>
              <td className="number">{fixed(checkpoint.testLoss, 4)}</td>
              <td>{checkpoint.isBest ? 'yes' : ''}</td>
              <td className="number">{(checkpoint.sizeBytes / 1e6).toFixed(2)} MB</td>
              <td>
                {checkpoint.versions
                  .map(
                    (version) =>
                      `v${version.version}${version.aliases.length ? ` (${version.aliases.join(', ')})` : ''}`,
                  )
                  .join('; ')}
              </td>
              <td>
                {checkpoint.available ? (
                  <>
                    <button onClick={() => void promote(checkpoint)}>Promote to model version</button>{' '}
                    <Link href={`/evaluate?checkpoint=${checkpoint.id}`}>Evaluate</Link>{' '}
                    <Link href={`/predict?checkpoint=${checkpoint.id}`}>Predict</Link>
                  </>
                ) : (
                  <span className="state">pruned</span>
                )}
                {checkpoint.downloadPath && (
                  <>
                    {' '}
                    <DownloadLink path={checkpoint.downloadPath}>Download</DownloadLink>
                  </>
                )}
                {checkpoint.safetensorsPath && (
                  <>
                    {' '}
                    <DownloadLink
                      path={checkpoint.safetensorsPath}
                      title="The weights as a PyTorch state_dict (safetensors)"
                    >
                      safetensors
                    </DownloadLink>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
