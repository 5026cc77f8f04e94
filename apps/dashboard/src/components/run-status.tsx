import type { RunStatus } from '../generated/graphql';

export function StatusBadge({ status }: { status: RunStatus }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}

/** Epoch x/y with a bar of the run's overall progress. */
export function RunProgress({ run }: { run: { currentEpoch: number; epochs: number; progress: number } }) {
  return (
    <div className="progress" title={`${(run.progress * 100).toFixed(1)}%`}>
      <span>
        {run.currentEpoch}/{run.epochs}
      </span>
      <div
        className="bar"
        role="progressbar"
        aria-valuenow={Math.round(run.progress * 100)}
        aria-valuemin={0}
        aria-valuemax={100}
      >
        <div style={{ width: `${Math.min(100, run.progress * 100)}%` }} />
      </div>
    </div>
  );
}
