'use client';
// The run page's Archive / Unarchive and Delete buttons, for a finished run: archiving takes it out of the runs list
// (its "Show archived" view lists it), deleting removes it with its metrics, checkpoints and files after a confirm.
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ConfirmButton } from '../../components/confirm-button';
import { ErrorMessage } from '../../components/states';
import type { RunStatus } from '../../generated/graphql';
import { useApi } from '../../lib/api-context';
import { ARCHIVE_RUN, DELETE_RUN, FINAL_STATUSES, UNARCHIVE_RUN } from '../../lib/documents';
import { dateTime } from '../../lib/format';

export interface RunActionsProps {
  readonly run: {
    readonly id: string;
    readonly name: string;
    readonly status: RunStatus;
    readonly archivedAt: string | null;
  };
  /** Called once the run was archived or unarchived, to show it as it is now. */
  readonly onChanged: () => void;
}

export function RunActions({ run, onChanged }: RunActionsProps) {
  const api = useApi();
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  // The API refuses both while the run is queued or training: it must be cancelled first.
  if (!FINAL_STATUSES.has(run.status)) return null;

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  const archive = () =>
    act(async () => {
      if (run.archivedAt) await api.mutate(UNARCHIVE_RUN, { id: run.id });
      else await api.mutate(ARCHIVE_RUN, { id: run.id });
      onChanged();
    });
  const remove = () =>
    act(async () => {
      await api.mutate(DELETE_RUN, { id: run.id });
      router.push('/');
    });

  return (
    <>
      {run.archivedAt && (
        <span
          className="status status-stopped"
          data-testid="run-archived"
          title={`Archived ${dateTime(run.archivedAt)}`}
        >
          archived
        </span>
      )}
      <button
        type="button"
        disabled={busy}
        onClick={() => void archive()}
        title={run.archivedAt ? 'Show it in the runs list again' : 'Hide it from the runs list; nothing is deleted'}
      >
        {run.archivedAt ? 'Unarchive' : 'Archive'}
      </button>
      <ConfirmButton
        label="Delete run"
        question={`Delete run '${run.name}' with its metrics, checkpoints and files? This cannot be undone.`}
        disabled={busy}
        onConfirm={remove}
      />
      {error && (
        <div style={{ flexBasis: '100%' }}>
          <ErrorMessage error={error} />
        </div>
      )}
    </>
  );
}
