'use client';
// The settings a page's line charts share: smoothing (TensorBoard's, lib/smoothing.ts) and a log scale for the loss
// charts, which keeps one diverging test loss from flattening every other curve.
import { useId } from 'react';
import { MAX_SMOOTHING } from '../lib/smoothing';

export interface ChartView {
  /** Smoothing weight, 0 (none) to MAX_SMOOTHING. */
  readonly smoothing: number;
  /** Loss axes logarithmic. */
  readonly logScale: boolean;
}

export const DEFAULT_CHART_VIEW: ChartView = { smoothing: 0, logScale: false };

export function ChartSettings({ view, onChange }: { view: ChartView; onChange: (view: ChartView) => void }) {
  const smoothingId = useId();
  return (
    <div className="toolbar" role="group" aria-label="Chart settings" data-testid="chart-settings">
      <label htmlFor={smoothingId}>
        Smoothing: {view.smoothing.toFixed(2)}
        <input
          id={smoothingId}
          name="smoothing"
          type="range"
          min={0}
          max={MAX_SMOOTHING}
          step={0.01}
          value={view.smoothing}
          aria-valuetext={view.smoothing === 0 ? 'off' : view.smoothing.toFixed(2)}
          onChange={(event) => onChange({ ...view, smoothing: Number(event.target.value) })}
        />
      </label>
      <label className="checkbox">
        <input
          name="logScale"
          type="checkbox"
          checked={view.logScale}
          onChange={(event) => onChange({ ...view, logScale: event.target.checked })}
        />{' '}
        Log scale for losses
      </label>
    </div>
  );
}
