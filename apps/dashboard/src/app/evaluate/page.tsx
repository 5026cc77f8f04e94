'use client';
// Evaluate: a checkpoint's accuracy per class and its confusion matrix as a heatmap, on the dataset's test split, its
// training split or all of its images (`?split=`).
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useEffect, useState } from 'react';
import { Empty, ErrorMessage, Loading } from '../../components/states';
import type { EvaluateCheckpointMutation, EvaluationSplit } from '../../generated/graphql';
import { useApi } from '../../lib/api-context';
import { EVALUATE } from '../../lib/documents';
import { duration, fixed, percent } from '../../lib/format';

type Evaluation = EvaluateCheckpointMutation['evaluateCheckpoint'];

const SPLITS: readonly EvaluationSplit[] = ['TEST', 'TRAIN', 'ALL'];
const SPLIT_LABELS: Record<EvaluationSplit, string> = {
  TEST: 'test split',
  TRAIN: 'training split',
  ALL: 'all images',
};

/** White to blue by the share of the true class's images in the cell. */
function cellColor(share: number): string {
  const lightness = 100 - Math.round(share * 55);
  return `hsl(217 91% ${lightness}%)`;
}

function Evaluate() {
  const api = useApi();
  const params = useSearchParams();
  const checkpointId = params.get('checkpoint');
  const split = SPLITS.find((candidate) => candidate === params.get('split')) ?? 'TEST';
  const [evaluation, setEvaluation] = useState<Evaluation | null>(null);
  const [failure, setFailure] = useState<Error | null>(null);
  useEffect(() => {
    if (!checkpointId) return;
    let active = true;
    setEvaluation(null);
    setFailure(null);
    api.request(EVALUATE, { input: { checkpointId, split } }).then(
      (result) => active && setEvaluation(result.evaluateCheckpoint),
      (error: Error) => active && setFailure(error),
    );
    return () => {
      active = false;
    };
  }, [api, checkpointId, split]);

  if (!checkpointId) {
    return <Empty>Open Evaluate from a checkpoint on a run&apos;s page.</Empty>;
  }
  if (failure) return <ErrorMessage error={failure} />;
  if (!evaluation) return <Loading what={`the evaluation (it runs the checkpoint over the ${SPLIT_LABELS[split]})`} />;
  const { classNames, confusionMatrix } = evaluation;
  return (
    <>
      <p>
        <Link href={`/runs/${evaluation.checkpoint.run.id}`}>{evaluation.checkpoint.run.name}</Link>, epoch{' '}
        {evaluation.checkpoint.epoch}, on {evaluation.dataset.name} ({SPLIT_LABELS[evaluation.split]}): accuracy{' '}
        <strong>{percent(evaluation.accuracy, 2)}</strong> over {evaluation.images} images, loss{' '}
        {fixed(evaluation.loss, 4)} ({duration(evaluation.durationSeconds)})
      </p>
      <p data-testid="evaluation-splits">
        Evaluate on:{' '}
        {SPLITS.map((other, index) => (
          <span key={other}>
            {index > 0 && ' · '}
            {other === evaluation.split ? (
              SPLIT_LABELS[other]
            ) : (
              <Link href={`/evaluate?checkpoint=${encodeURIComponent(checkpointId)}&split=${other}`}>
                {SPLIT_LABELS[other]}
              </Link>
            )}
          </span>
        ))}
      </p>
      <h2>Per-class accuracy</h2>
      <table>
        <tbody>
          {evaluation.perClass.map((entry) => (
            <tr key={entry.label}>
              <th>{entry.label}</th>
              <td style={{ width: '60%' }}>
                <div className="progress">
                  <div className="bar">
                    <div style={{ width: `${entry.accuracy * 100}%` }} />
                  </div>
                </div>
              </td>
              <td className="number">{percent(entry.accuracy, 1)}</td>
              <td className="number">{entry.images} images</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Confusion matrix</h2>
      <table className="heatmap" data-testid="confusion-matrix">
        <thead>
          <tr>
            <th>true \ predicted</th>
            {classNames.map((name) => (
              <th key={name}>{name}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {confusionMatrix.map((row, trueClass) => {
            const total = row.reduce((sum, value) => sum + value, 0) || 1;
            return (
              <tr key={classNames[trueClass]}>
                <th>{classNames[trueClass]}</th>
                {row.map((value, predicted) => (
                  <td key={predicted} style={{ background: cellColor(value / total) }} title={`${value} of ${total}`}>
                    {value}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

export default function EvaluatePage() {
  return (
    <>
      <h1>Evaluate</h1>
      <Suspense>
        <Evaluate />
      </Suspense>
    </>
  );
}
