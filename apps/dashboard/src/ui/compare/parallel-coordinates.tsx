'use client';
// Compare's parallel-coordinates view: one vertical axis per hyperparameter that differs between the runs and a
// last one for best test accuracy, one line per run through its values, coloured by its accuracy.
import { useId } from 'react';
import { percent } from '../../lib/format';
import { accuracyColor, parallelAxes, type ParallelAxis } from '../../lib/parallel-coordinates';
import styles from './parallel-coordinates.module.css';

/** Pixels between axes, and around the plot (the top holds the axis names, the right the last axis's labels). */
const AXIS_GAP = 180;
const MARGIN = { top: 36, right: 72, bottom: 16, left: 56 } as const;
const PLOT_HEIGHT = 220;

export interface ComparedRun {
  readonly id: string;
  readonly name: string;
  readonly bestTestAccuracy: number | null;
}

export function ParallelCoordinates({
  runs,
  hyperparameters,
}: {
  runs: readonly ComparedRun[];
  /** As compareRuns returns them: each run's value as text, in the order of the runs. */
  hyperparameters: readonly { readonly name: string; readonly values: readonly string[]; readonly differs: boolean }[];
}) {
  const titleId = useId();
  const descriptionId = useId();
  const accuracies = runs.map((run) => run.bestTestAccuracy);
  const axes = parallelAxes(hyperparameters, accuracies);
  const differing = hyperparameters.filter((entry) => entry.differs);
  if (differing.length === 0) {
    return <p className="state">The runs have the same hyperparameters: there is nothing to set against accuracy.</p>;
  }
  const accuracy = axes.at(-1)!;
  const width = MARGIN.left + AXIS_GAP * (axes.length - 1) + MARGIN.right;
  const height = MARGIN.top + PLOT_HEIGHT + MARGIN.bottom;
  const xOf = (axis: number) => MARGIN.left + AXIS_GAP * axis;
  const yOf = (position: number) => MARGIN.top + (1 - position) * PLOT_HEIGHT;
  const describe = (run: ComparedRun, index: number) =>
    `${run.name}: ${differing.map((entry) => `${entry.name} ${entry.values[index]}`).join(', ')}, ` +
    `best test accuracy ${percent(run.bestTestAccuracy, 1)}.`;

  return (
    <figure className="chart" data-testid="parallel-coordinates" data-lines={runs.length}>
      <figcaption>
        Hyperparameters that differ, against best test accuracy{' '}
        <span className={styles.legend} aria-hidden="true">
          <span>low</span>
          <span className={styles.scale} />
          <span>high accuracy</span>
        </span>
      </figcaption>
      <div className={styles.scroll}>
        <svg
          className={styles.plot}
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-labelledby={`${titleId} ${descriptionId}`}
        >
          <title id={titleId}>
            {`Parallel coordinates of ${runs.length} runs: ${axes.map((axis) => axis.name).join(', ')}.`}
          </title>
          <desc id={descriptionId}>{runs.map(describe).join(' ')}</desc>
          <g className={styles.lines}>
            {runs.map((run, runIndex) => (
              <path
                key={run.id}
                className={styles.line}
                data-run-id={run.id}
                d={linePath(axes, runIndex, xOf, yOf)}
                stroke={accuracyColor(accuracy.positions[runIndex] ?? null)}
              >
                <title>{describe(run, runIndex)}</title>
              </path>
            ))}
          </g>
          {/* After the lines, so that the labels stay readable over them. */}
          {axes.map((axis, index) => (
            <Axis key={axis.name} axis={axis} x={xOf(index)} yOf={yOf} />
          ))}
        </svg>
      </div>
    </figure>
  );
}

function Axis({ axis, x, yOf }: { axis: ParallelAxis; x: number; yOf: (position: number) => number }) {
  return (
    <g className={styles.axis} data-axis={axis.name}>
      <text x={x} y={MARGIN.top - 14} textAnchor="middle" className={styles.axisName}>
        {axis.name}
        {axis.scale === 'log' ? ' (log)' : ''}
      </text>
      <line x1={x} x2={x} y1={yOf(1)} y2={yOf(0)} />
      {axis.ticks.map((tick) => (
        <g key={tick.label}>
          <line x1={x - 4} x2={x} y1={yOf(tick.position)} y2={yOf(tick.position)} />
          <text x={x + 6} y={yOf(tick.position)} dominantBaseline="middle" className={styles.tick}>
            {tick.label}
          </text>
        </g>
      ))}
    </g>
  );
}

/** The run's line through the axes where it has a value; a missing value breaks it. */
function linePath(
  axes: readonly ParallelAxis[],
  runIndex: number,
  xOf: (axis: number) => number,
  yOf: (position: number) => number,
): string {
  let path = '';
  let drawing = false;
  axes.forEach((axis, index) => {
    const position = axis.positions[runIndex];
    if (position === null || position === undefined) {
      drawing = false;
      return;
    }
    path += `${drawing ? 'L' : 'M'}${xOf(index)},${yOf(position)}`;
    drawing = true;
  });
  return path;
}
