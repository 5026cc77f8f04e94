'use client';
// A checkpoint's evaluations as the API stored them: the form that runs a new one, the list of past ones, and the
// chosen one (`?evaluation=`, else the newest) drawn in full. Nothing is measured on load: a reload reads the same
// stored evaluation again.
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { Empty, QueryView } from '../../components/states';
import type { CheckpointEvaluationsQuery, EvaluationFieldsFragment } from '../../generated/graphql';
import { useQuery } from '../../lib/api-context';
import { CHECKPOINT_EVALUATIONS } from '../../lib/documents';
import { EvaluationDetail } from './evaluation-detail';
import { EvaluationForm } from './evaluation-form';
import { EvaluationList } from './evaluation-list';

export function CheckpointEvaluations({
  checkpointId,
  evaluationId,
}: {
  checkpointId: string;
  /** The evaluation to show; null for the newest. */
  evaluationId: string | null;
}) {
  const router = useRouter();
  const pathname = usePathname();
  const state = useQuery(CHECKPOINT_EVALUATIONS, { id: checkpointId });
  const hrefOf = (id: string) =>
    `${pathname}?checkpoint=${encodeURIComponent(checkpointId)}&evaluation=${encodeURIComponent(id)}`;

  const onEvaluated = (evaluation: EvaluationFieldsFragment) => {
    state.setData((previous) => withNewEvaluation(previous, evaluation));
    router.replace(hrefOf(evaluation.id), { scroll: false });
  };

  return (
    <QueryView state={state} what="the checkpoint's evaluations">
      {({ checkpoint, datasets }) => {
        if (!checkpoint) return <Empty>No checkpoint with id {checkpointId}.</Empty>;
        const { evaluations } = checkpoint;
        const selected = evaluationId === null ? evaluations[0] : evaluations.find(({ id }) => id === evaluationId);
        return (
          <>
            <p>
              Checkpoint of <Link href={`/runs/${checkpoint.run.id}`}>{checkpoint.run.name}</Link>, epoch{' '}
              {checkpoint.epoch}, trained on {checkpoint.run.dataset.name}.
            </p>
            <h2>New evaluation</h2>
            <EvaluationForm checkpoint={checkpoint} datasets={datasets} onEvaluated={onEvaluated} />
            <h2>Past evaluations</h2>
            {evaluations.length === 0 ? (
              <Empty>None yet: choose a dataset and split above and press Evaluate.</Empty>
            ) : (
              <EvaluationList evaluations={evaluations} selectedId={selected?.id ?? null} hrefOf={hrefOf} />
            )}
            {selected ? (
              <EvaluationDetail evaluation={selected} />
            ) : (
              evaluationId !== null && <Empty>This checkpoint has no evaluation with id {evaluationId}.</Empty>
            )}
          </>
        );
      }}
    </QueryView>
  );
}

/** The query's data with a new evaluation first, as the API lists it after storing it. */
function withNewEvaluation(
  data: CheckpointEvaluationsQuery | undefined,
  evaluation: EvaluationFieldsFragment,
): CheckpointEvaluationsQuery | undefined {
  if (!data?.checkpoint) return data;
  return { ...data, checkpoint: { ...data.checkpoint, evaluations: [evaluation, ...data.checkpoint.evaluations] } };
}
