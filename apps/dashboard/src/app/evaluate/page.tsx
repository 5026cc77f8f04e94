'use client';
// Evaluate: a checkpoint's accuracy per class and its confusion matrix as a heatmap.
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useEffect, useState } from 'react';
import { Empty, ErrorMessage, Loading } from '../../components/states';
import type { EvaluateCheckpointMutation } from '../../generated/graphql';
import { useApi } from '../../lib/api-context';
import { EVALUATE } from '../../lib/documents';
import { duration, fixed, percent } from '../../lib/format';

type Evaluation = EvaluateCheckpointMutation['evaluateCheckpoint'];

/** White to blue by the share of the true class's images in the cell. */
function cellColor(share: number): string {
  const lightness = 100 - Math.round(share * 55);
  return `hsl(217 91% ${lightness}%)`;
}

function Evaluate() {
  const api = useApi();
  const checkpointId = useSearchParams().get('checkpoint');
  const [evaluation, setEvaluation] = useState<Evaluation | null>(null);
  const [failure, setFailure] = useState<Error | null>(null);
  useEffect(() => {
    if (!checkpointId) return;
    let active = true;
    setEvaluation(null);
    setFailure(null);
    api.request(EVALUATE, { input: { checkpointId } }).then(
      (result) => active && setEvaluation(result.evaluateCheckpoint),
      (error: Error) => active && setFailure(error),
    );
    return () => {
      active = false;
    };
  }, [api, checkpointId]);

  if (!checkpointId) {
    return <Empty>Open Evaluate from a checkpoint on a run&apos;s page.</Empty>;
  }
  if (failure) return <ErrorMessage error={failure} />;
  if (!evaluation) return <Loading what="the evaluation (it runs the checkpoint over the test split)" />;
  const { classNames, confusionMatrix } = evaluation;
  return (
    <>
      <p>
        <Link href={`/runs/${evaluation.checkpoint.run.id}`}>{evaluation.checkpoint.run.name}</Link>, epoch{' '}
        {evaluation.checkpoint.epoch}, on {evaluation.dataset.name}: accuracy{' '}
        <strong>{percent(evaluation.accuracy, 2)}</strong> over {evaluation.images} images, loss{' '}
        {fixed(evaluation.loss, 4)} ({duration(evaluation.durationSeconds)})
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
