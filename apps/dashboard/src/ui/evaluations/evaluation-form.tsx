'use client';
// Runs a new evaluation of a checkpoint on a chosen registered dataset and split; the API stores it and answers it.
import { useEffect, useState } from 'react';
import { ErrorMessage } from '../../components/states';
import type { CheckpointEvaluationsQuery, EvaluationFieldsFragment, EvaluationSplit } from '../../generated/graphql';
import { useApi } from '../../lib/api-context';
import { EVALUATE } from '../../lib/documents';
import { ApiError } from '../../lib/graphql-client';
import styles from './evaluations.module.css';
import { EVALUATION_SPLITS, SPLIT_LABELS } from './splits';

type Checkpoint = NonNullable<CheckpointEvaluationsQuery['checkpoint']>;
type Dataset = CheckpointEvaluationsQuery['datasets'][number];

/** Seconds since `since` (milliseconds since the epoch), ticking each second; 0 when null. */
function useElapsedSeconds(since: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (since === null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [since]);
  return since === null ? 0 : Math.max(0, Math.round((now - since) / 1000));
}

export function EvaluationForm({
  checkpoint,
  datasets,
  onEvaluated,
}: {
  checkpoint: Checkpoint;
  datasets: readonly Dataset[];
  onEvaluated: (evaluation: EvaluationFieldsFragment) => void;
}) {
  const api = useApi();
  const trainedOn = checkpoint.run.dataset;
  const [datasetName, setDatasetName] = useState(trainedOn.name);
  const [split, setSplit] = useState<EvaluationSplit>('TEST');
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [failure, setFailure] = useState<Error | null>(null);
  const elapsed = useElapsedSeconds(startedAt);
  const sameClasses = (dataset: Dataset) => dataset.classNames.join('\n') === trainedOn.classNames.join('\n');

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setFieldError(null);
    setFailure(null);
    setStartedAt(Date.now());
    try {
      const result = await api.mutate(EVALUATE, { input: { checkpointId: checkpoint.id, datasetName, split } });
      onEvaluated(result.evaluateCheckpoint);
    } catch (error) {
      const field = error instanceof ApiError ? error.fieldErrors.datasetName : undefined;
      if (field) setFieldError(field);
      else setFailure(error as Error);
    } finally {
      setStartedAt(null);
    }
  };

  if (!checkpoint.available) {
    return (
      <p className="state">This checkpoint&apos;s files were pruned: its past evaluations stay, new ones cannot run.</p>
    );
  }
  const pending = startedAt !== null;
  return (
    <form className={`card ${styles.form}`} onSubmit={(event) => void submit(event)} aria-busy={pending}>
      <label>
        Dataset
        <select
          name="datasetName"
          value={datasetName}
          disabled={pending}
          onChange={(event) => setDatasetName(event.target.value)}
          aria-invalid={fieldError !== null}
          aria-describedby={fieldError ? 'evaluation-dataset-error' : undefined}
        >
          {datasets.map((dataset) => (
            <option key={dataset.name} value={dataset.name} disabled={!sameClasses(dataset)}>
              {dataset.name}
              {!sameClasses(dataset) ? ' (other classes)' : !dataset.available ? ' (not available)' : ''}
            </option>
          ))}
        </select>
        {fieldError && (
          <span className={styles.fieldError} id="evaluation-dataset-error" data-field="datasetName">
            {fieldError}
          </span>
        )}
      </label>
      <label>
        Split
        <select
          name="split"
          value={split}
          disabled={pending}
          onChange={(event) => setSplit(event.target.value as EvaluationSplit)}
        >
          {EVALUATION_SPLITS.map((value) => (
            <option key={value} value={value}>
              {SPLIT_LABELS[value]}
            </option>
          ))}
        </select>
      </label>
      <div>
        <button className="primary" type="submit" disabled={pending}>
          {pending ? 'Evaluating…' : 'Evaluate'}
        </button>
      </div>
      {pending && (
        <p className={styles.pending} role="status" data-testid="evaluation-pending">
          Running the checkpoint over the {SPLIT_LABELS[split]} of {datasetName}… {elapsed} s
        </p>
      )}
      {failure && (
        <div className={styles.full}>
          <ErrorMessage error={failure} />
        </div>
      )}
    </form>
  );
}
