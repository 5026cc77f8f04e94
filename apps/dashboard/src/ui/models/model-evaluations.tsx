'use client';
// A model's latest stored evaluations, of any of its checkpoints, on the Models page; each opens on the Evaluate page.
import Link from 'next/link';
import { QueryView } from '../../components/states';
import { useQuery } from '../../lib/api-context';
import { MODEL_EVALUATIONS } from '../../lib/documents';
import { dateTime, percent } from '../../lib/format';
import { SPLIT_LABELS } from '../evaluations/splits';

/** How many of a model's evaluations the card shows. */
const LATEST = 5;

export function ModelEvaluations({ modelId, modelName }: { modelId: string; modelName: string }) {
  const state = useQuery(MODEL_EVALUATIONS, { id: modelId, first: LATEST });
  return (
    <>
      <h3>Latest evaluations</h3>
      <QueryView state={state} what="evaluations">
        {({ model }) =>
          !model || model.evaluations.length === 0 ? (
            <p className="state">None yet: evaluate a checkpoint from a run&apos;s page.</p>
          ) : (
            <div className="table-scroll">
              <table data-testid={`evaluations-${modelName}`}>
                <tbody>
                  {model.evaluations.map((evaluation) => (
                    <tr key={evaluation.id}>
                      <td>
                        <Link
                          href={`/evaluate?checkpoint=${evaluation.checkpoint.id}&evaluation=${evaluation.id}`}
                          title="Open this evaluation"
                        >
                          {dateTime(evaluation.createdAt)}
                        </Link>
                      </td>
                      <td>
                        {evaluation.checkpoint.run.name}, epoch {evaluation.checkpoint.epoch}
                      </td>
                      <td>
                        {evaluation.datasetName} ({SPLIT_LABELS[evaluation.split]})
                      </td>
                      <td className="number">{percent(evaluation.accuracy, 2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </>
  );
}
