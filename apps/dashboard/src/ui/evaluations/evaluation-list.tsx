// A checkpoint's stored evaluations, newest first: when, on what, how accurate; each links to itself in the URL.
import Link from 'next/link';
import type { EvaluationFieldsFragment } from '../../generated/graphql';
import { count, dateTime, percent } from '../../lib/format';
import styles from './evaluations.module.css';
import { SPLIT_LABELS } from './splits';

export function EvaluationList({
  evaluations,
  selectedId,
  hrefOf,
}: {
  evaluations: readonly EvaluationFieldsFragment[];
  selectedId: string | null;
  /** Where the evaluation with this id is shown. */
  hrefOf: (id: string) => string;
}) {
  return (
    <div className="table-scroll">
      <table data-testid="evaluation-list">
        <thead>
          <tr>
            <th>When</th>
            <th>Dataset</th>
            <th>Split</th>
            <th className="number">Accuracy</th>
            <th className="number">Images</th>
          </tr>
        </thead>
        <tbody>
          {evaluations.map((evaluation) => {
            const selected = evaluation.id === selectedId;
            return (
              <tr
                key={evaluation.id}
                className={selected ? styles.selected : undefined}
                data-evaluation-id={evaluation.id}
              >
                <td>
                  <Link href={hrefOf(evaluation.id)} scroll={false} aria-current={selected ? 'true' : undefined}>
                    {dateTime(evaluation.createdAt)}
                  </Link>
                </td>
                <td>{evaluation.datasetName}</td>
                <td>{SPLIT_LABELS[evaluation.split]}</td>
                <td className="number">{percent(evaluation.accuracy, 2)}</td>
                <td className="number">{count(evaluation.images)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
