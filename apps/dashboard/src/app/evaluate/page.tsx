'use client';
// Evaluate: a checkpoint's stored evaluations (`?checkpoint=`), the chosen one (`?evaluation=`, else the newest) with
// its per-class accuracy and confusion matrix, and a form that runs a new one on a chosen dataset and split.
import { useSearchParams } from 'next/navigation';
import { Suspense } from 'react';
import { Empty } from '../../components/states';
import { CheckpointEvaluations } from '../../ui/evaluations/checkpoint-evaluations';

function EvaluateFromUrl() {
  const params = useSearchParams();
  const checkpointId = params.get('checkpoint');
  if (!checkpointId) return <Empty>Open Evaluate from a checkpoint on a run&apos;s page.</Empty>;
  return <CheckpointEvaluations checkpointId={checkpointId} evaluationId={params.get('evaluation')} />;
}

export default function EvaluatePage() {
  return (
    <>
      <h1>Evaluate</h1>
      <Suspense>
        <EvaluateFromUrl />
      </Suspense>
    </>
  );
}
