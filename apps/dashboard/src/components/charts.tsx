'use client';
// Line and bar charts (recharts). Each chart carries data-points with its number of points, which is how the
// browser tests watch a curve grow.
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

export interface Series {
  readonly key: string;
  readonly label: string;
}

export function LineSeriesChart({
  title,
  data,
  xKey,
  xLabel,
  series,
  testId,
  percent = false,
}: {
  title: string;
  data: readonly Record<string, number | null>[];
  xKey: string;
  xLabel: string;
  series: readonly Series[];
  testId: string;
  percent?: boolean;
}) {
  return (
    <figure className="chart" data-testid={testId} data-points={data.length}>
      <figcaption>{title}</figcaption>
      {data.length === 0 ? (
        <p className="state">No points yet.</p>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 16, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey={xKey} label={{ value: xLabel, position: 'insideBottom', offset: -8 }} />
            <YAxis
              width={56}
              tickFormatter={(value: number) =>
                percent ? `${Math.round(value * 100)}%` : String(Number(value.toPrecision(3)))
              }
              domain={percent ? [0, 1] : ['auto', 'auto']}
            />
            <Tooltip />
            <Legend verticalAlign="top" />
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
