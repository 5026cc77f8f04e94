// One stored evaluation: what it measured, its accuracy per class, and its confusion matrix as a heatmap.
import type { EvaluationFieldsFragment } from '../../generated/graphql';
import { count, dateTime, duration, fixed, percent } from '../../lib/format';
import { SPLIT_LABELS } from './splits';

/** White to blue by the share of the true class's images in the cell; text dark on light cells, white on dark. */
function cellStyle(share: number): React.CSSProperties {
  const lightness = 100 - Math.round(share * 55);
  return { background: `hsl(217 91% ${lightness}%)`, color: lightness > 65 ? '#111827' : 'white' };
}

export function EvaluationDetail({ evaluation }: { evaluation: EvaluationFieldsFragment }) {
  return (
    <section aria-label="Selected evaluation" data-testid="evaluation-detail" data-evaluation-id={evaluation.id}>
      <p data-testid="evaluation-summary">
        On {evaluation.datasetName} ({SPLIT_LABELS[evaluation.split]}), {dateTime(evaluation.createdAt)}: accuracy{' '}
        <strong>{percent(evaluation.accuracy, 2)}</strong> over {count(evaluation.images)} images, loss{' '}
        {fixed(evaluation.loss, 4)} (took {duration(evaluation.durationSeconds)})
      </p>
      <h2>Per-class accuracy</h2>
      <PerClassTable perClass={evaluation.perClass} />
      <h2>Confusion matrix</h2>
      <ConfusionMatrix classNames={evaluation.classNames} matrix={evaluation.confusionMatrix} />
    </section>
  );
}

function PerClassTable({ perClass }: { perClass: EvaluationFieldsFragment['perClass'] }) {
  return (
    <div className="table-scroll">
      <table data-testid="per-class">
        <thead>
          <tr>
            <th>Class</th>
            <th>Accuracy</th>
            <th className="number">%</th>
            <th className="number">Images</th>
          </tr>
        </thead>
        <tbody>
          {perClass.map((entry) => (
            <tr key={entry.label}>
              <th scope="row">{entry.label}</th>
              <td style={{ width: '50%' }}>
                <div className="progress" aria-hidden="true">
                  <div className="bar">
                    <div style={{ width: `${entry.accuracy * 100}%` }} />
                  </div>
                </div>
              </td>
              <td className="number">{percent(entry.accuracy, 1)}</td>
              <td className="number">{count(entry.images)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ConfusionMatrix({ classNames, matrix }: { classNames: readonly string[]; matrix: readonly number[][] }) {
  return (
    <div className="table-scroll">
      <table className="heatmap" data-testid="confusion-matrix">
        <caption className="visually-hidden">
          Rows are the true classes, columns the predicted ones; each cell counts images.
        </caption>
        <thead>
          <tr>
            <th>true \ predicted</th>
            {classNames.map((name) => (
              <th key={name} scope="col">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, trueClass) => {
            const total = row.reduce((sum, value) => sum + value, 0);
            return (
              <tr key={classNames[trueClass]}>
                <th scope="row">{classNames[trueClass]}</th>
                {row.map((value, predicted) => (
                  <td
                    key={predicted}
                    style={cellStyle(total === 0 ? 0 : value / total)}
                    title={`${value} of ${total} ${classNames[trueClass]} predicted ${classNames[predicted]}`}
                  >
                    {value}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
