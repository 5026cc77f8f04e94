'use client';
// Line and bar charts (recharts). Each chart carries data-points with its number of points, which is how the
// browser tests watch a curve grow. Line charts zoom (drag across the plot, or the brush below it; Reset zoom
// undoes it), smooth, switch to a log axis, draw a resumed run's inherited history dashed, and describe themselves
// in a sentence for screen readers.
import { useId, useRef, useState } from 'react';
import {
  Bar,
  BarChart,
  Brush,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { chartRows, INHERITED_SUFFIX, RAW_SUFFIX } from '../lib/chart-rows';
import { chartSummary, type SeriesGoal } from '../lib/chart-summary';
import styles from './charts.module.css';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

export interface Series {
  readonly key: string;
  readonly label: string;
  /** Which of its values are best (the highest accuracy, the lowest loss), for the chart's text summary. */
  readonly goal?: SeriesGoal;
}

/** The x range a chart is zoomed to, both ends included. */
type Zoom = readonly [number, number];

/** The x where a drag across the plot started and where it is now. */
interface Selection {
  readonly from: number;
  readonly to: number;
}

export function LineSeriesChart({
  title,
  data,
  xKey,
  xLabel,
  series,
  testId,
  percent = false,
  smoothing = 0,
  logScale = false,
  inheritedThrough = null,
}: {
  title: string;
  data: readonly Record<string, number | null>[];
  xKey: string;
  xLabel: string;
  series: readonly Series[];
  testId: string;
  percent?: boolean;
  /** Smoothing weight, 0 (none) to below 1: the smoothed line is drawn over the faint raw one. */
  smoothing?: number;
  /** A logarithmic y axis; values at or below 0 are left out. */
  logScale?: boolean;
  /** The last x inherited from the run's lineage: points up to it are drawn dashed. Null when none is. */
  inheritedThrough?: number | null;
}) {
  const summaryId = useId();
  const [zoom, setZoom] = useState<Zoom | null>(null);
  // A drag across the plot: state to draw it, and a ref that recharts' handlers (called a frame late, with the
  // props of the render they were dispatched in) read and write without stale values.
  const [selection, setSelection] = useState<Selection | null>(null);
  const dragging = useRef<Selection | null>(null);
  const select = (next: Selection | null) => {
    dragging.current = next;
    setSelection(next);
  };
  const rows = chartRows(
    data,
    xKey,
    series.map((entry) => entry.key),
    { smoothing, logScale, inheritedThrough },
  );
  const format = (value: number) => (percent ? `${(value * 100).toFixed(1)}%` : String(Number(value.toPrecision(3))));
  const summary =
    data.length === 0
      ? `${title}: no points yet.`
      : `${title}. ${chartSummary(data, xKey, xLabel, series, format)}` +
        (inheritedThrough === null ? '' : ` Up to ${xLabel} ${inheritedThrough} inherited from the runs it resumed.`);

  // The zoom holds x values, not indexes, so that points arriving live keep it in place.
  const xs = data.map((row) => row[xKey] ?? 0);
  let startIndex = zoom ? xs.findIndex((x) => x >= zoom[0]) : 0;
  let endIndex = zoom ? xs.findLastIndex((x) => x <= zoom[1]) : data.length - 1;
  if (startIndex < 0 || endIndex < startIndex) [startIndex, endIndex] = [0, data.length - 1];
  const zoomed = zoom !== null && (startIndex > 0 || endIndex < data.length - 1);
  const zoomTo = (from: number, to: number) => {
    const [low, high] = from <= to ? [from, to] : [to, from];
    setZoom(low === xs[0] && high === xs.at(-1) ? null : [low, high]);
  };
  const xOf = (label: unknown) => (typeof label === 'number' ? label : label === undefined ? null : Number(label));

  return (
    <figure
      className="chart"
      data-testid={testId}
      data-points={data.length}
      data-inherited-points={inheritedThrough === null ? 0 : xs.filter((x) => x <= inheritedThrough).length}
      data-scale={logScale ? 'log' : 'linear'}
      data-smoothing={smoothing}
      data-zoom={zoomed ? `${xs[startIndex]}-${xs[endIndex]}` : undefined}
      aria-describedby={summaryId}
    >
      <figcaption className={styles.caption}>
        <span>{title}</span>
        {zoomed && (
          <button type="button" className={styles.reset} onClick={() => setZoom(null)}>
            Reset zoom
          </button>
        )}
      </figcaption>
      <p id={summaryId} className={styles.summary} data-testid="chart-summary">
        {summary}
      </p>
      {data.length === 0 ? (
        <p className="state">No points yet.</p>
      ) : (
        <ResponsiveContainer width="100%" height={250}>
          <LineChart
            data={rows}
            margin={{ top: 8, right: 16, bottom: 4, left: 0 }}
            onMouseDown={(state) => {
              const x = xOf(state.activeLabel);
              // Only on the plot, where the tooltip is: a press on the brush moves the brush.
              if (x !== null && state.isTooltipActive) select({ from: x, to: x });
            }}
            onMouseMove={(state) => {
              const x = xOf(state.activeLabel);
              if (dragging.current && x !== null) select({ ...dragging.current, to: x });
            }}
            onMouseUp={(state) => {
              const drag = dragging.current;
              select(null);
              const to = xOf(state.activeLabel) ?? drag?.to;
              if (drag && to !== undefined && drag.from !== to) zoomTo(drag.from, to);
            }}
            onMouseLeave={() => select(null)}
          >
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey={xKey}
              type="number"
              domain={['dataMin', 'dataMax']}
              allowDecimals={false}
              height={36}
              label={{ value: xLabel, position: 'insideBottom', offset: 0 }}
            />
            <YAxis
              width="auto"
              scale={logScale ? 'log' : 'auto'}
              tickFormatter={(value: number) =>
                percent ? `${Math.round(value * 100)}%` : String(Number(value.toPrecision(3)))
              }
              domain={percent && !logScale ? [0, 1] : ['auto', 'auto']}
              allowDataOverflow={logScale}
            />
            <Tooltip
              formatter={(value) => (typeof value === 'number' ? format(value) : String(value))}
              labelFormatter={(label) => (typeof label === 'number' ? `${xLabel} ${label}` : '')}
            />
            <Legend verticalAlign="top" />
            {inheritedThrough !== null && (
              <ReferenceLine
                x={inheritedThrough}
                stroke="currentColor"
                strokeDasharray="2 4"
                label={{ value: 'resumed', position: 'insideTopRight', fontSize: 11 }}
              />
            )}
            {series.map((entry, index) =>
              smoothing > 0 ? (
                <Line
                  key={`${entry.key}${RAW_SUFFIX}`}
                  dataKey={`${entry.key}${RAW_SUFFIX}`}
                  name={`${entry.label} (raw)`}
                  stroke={COLORS[index % COLORS.length]}
                  strokeOpacity={0.25}
                  dot={false}
                  activeDot={false}
                  legendType="none"
                  isAnimationActive={false}
                  connectNulls
                />
              ) : null,
            )}
            {series.map((entry, index) =>
              inheritedThrough !== null ? (
                <Line
                  key={`${entry.key}${INHERITED_SUFFIX}`}
                  dataKey={`${entry.key}${INHERITED_SUFFIX}`}
                  name={`${entry.label} (inherited)`}
                  stroke={COLORS[index % COLORS.length]}
                  strokeDasharray="5 4"
                  strokeOpacity={0.7}
                  dot={data.length < 60 ? { r: 2, fillOpacity: 0.5 } : false}
                  legendType="none"
                  isAnimationActive={false}
                  connectNulls
                />
              ) : null,
            )}
            {series.map((entry, index) => (
              <Line
                key={entry.key}
                dataKey={entry.key}
                name={entry.label}
                stroke={COLORS[index % COLORS.length]}
                dot={data.length < 60}
                isAnimationActive={false}
                connectNulls
              />
            ))}
            {selection && selection.from !== selection.to && (
              <ReferenceArea x1={selection.from} x2={selection.to} fill="currentColor" fillOpacity={0.1} />
            )}
            {data.length > 1 && (
              <Brush
                // A new Brush for each length: points arriving live give it an endIndex before recharts' store has the
                // longer data, and the old scale places that index at NaN (console errors on every growing chart).
                key={data.length}
                dataKey={xKey}
                height={22}
                travellerWidth={8}
                fill="transparent"
                stroke="#9ca3af"
                startIndex={startIndex}
                endIndex={endIndex}
                ariaLabel={`Zoom of ${title}: ${xLabel}s ${xs[startIndex]} to ${xs[endIndex]}`}
                onChange={(range) => {
                  const first = xs[range.startIndex ?? 0];
                  const last = xs[range.endIndex ?? xs.length - 1];
                  if (first !== undefined && last !== undefined) zoomTo(first, last);
                }}
              />
            )}
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

export function ProbabilityBars({
  data,
  testId,
}: {
  data: readonly { label: string; probability: number }[];
  testId: string;
}) {
  return (
    <figure className="chart" data-testid={testId} data-points={data.length}>
      <figcaption>Class probabilities</figcaption>
      <ResponsiveContainer width="100%" height={Math.max(120, data.length * 36)}>
        <BarChart data={data} layout="vertical" margin={{ left: 24, right: 48 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" domain={[0, 1]} tickFormatter={(value: number) => `${Math.round(value * 100)}%`} />
          <YAxis type="category" dataKey="label" width={140} />
          <Tooltip formatter={(value) => `${(Number(value) * 100).toFixed(2)}%`} />
          <Bar
            dataKey="probability"
            fill={COLORS[0]}
            isAnimationActive={false}
            label={{ position: 'right', formatter: (value: unknown) => `${(Number(value) * 100).toFixed(1)}%` }}
          />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
