// The scales of Compare's parallel-coordinates view: one vertical axis per hyperparameter that differs between the
// runs and a last one for their best test accuracy, each placing every run's value between 0 (bottom) and 1 (top).
import { percent } from './format';

export interface ParallelAxis {
  readonly name: string;
  /**
   * linear: numbers, evenly; log: positive numbers spanning more than a factor of 10, by their logarithm;
   * category: anything else (booleans, schedules, lists), its distinct values evenly spaced in sorted order.
   */
  readonly scale: 'linear' | 'log' | 'category';
  /** Each run's place on the axis, 0 (bottom) to 1 (top), in the order of the runs; null where it has no value. */
  readonly positions: readonly (number | null)[];
  readonly ticks: readonly { readonly label: string; readonly position: number }[];
}

/** Above this many distinct numbers an axis labels only its ends. */
const MAX_NUMBER_TICKS = 6;

/** The axes of the hyperparameters whose values differ, in their order, then best test accuracy. */
export function parallelAxes(
  hyperparameters: readonly { readonly name: string; readonly values: readonly string[]; readonly differs: boolean }[],
  accuracies: readonly (number | null)[],
): ParallelAxis[] {
  return [
    ...hyperparameters.filter((entry) => entry.differs).map((entry) => hyperparameterAxis(entry.name, entry.values)),
    accuracyAxis(accuracies),
  ];
}

/** An axis of hyperparameter values as the API writes them (Hyperparameters' fields as text). */
export function hyperparameterAxis(name: string, values: readonly string[]): ParallelAxis {
  const numbers = values.map((value) => (value.trim() === '' ? Number.NaN : Number(value)));
  if (!numbers.every(Number.isFinite)) return categoryAxis(name, values);
  const min = Math.min(...numbers);
  const max = Math.max(...numbers);
  const log = min > 0 && max / min > 10;
  const place = (value: number) =>
    max === min ? 0.5 : log ? Math.log(value / min) / Math.log(max / min) : (value - min) / (max - min);
  const distinct = [...new Set(numbers)].sort((a, b) => a - b);
  const labelled = distinct.length > MAX_NUMBER_TICKS ? [min, max] : distinct;
  return {
    name,
    scale: log ? 'log' : 'linear',
    positions: numbers.map(place),
    ticks: labelled.map((value) => ({ label: values[numbers.indexOf(value)]!, position: place(value) })),
  };
}

function categoryAxis(name: string, values: readonly string[]): ParallelAxis {
  const categories = [...new Set(values)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const place = (value: string) =>
    categories.length === 1 ? 0.5 : categories.indexOf(value) / (categories.length - 1);
  return {
    name,
    scale: 'category',
    positions: values.map(place),
    ticks: categories.map((label) => ({ label, position: place(label) })),
  };
}

/** Best test accuracy from the lowest of the runs (0) to the highest (1); runs without one have no place. */
export function accuracyAxis(accuracies: readonly (number | null)[]): ParallelAxis {
  const known = accuracies.filter((value): value is number => value !== null);
  const min = Math.min(...known);
  const max = Math.max(...known);
  const place = (value: number) => (max === min ? 0.5 : (value - min) / (max - min));
  const ends = known.length === 0 ? [] : max === min ? [min] : [min, max];
  return {
    name: 'best test accuracy',
    scale: 'linear',
    positions: accuracies.map((value) => (value === null ? null : place(value))),
    ticks: ends.map((value) => ({ label: percent(value, 1), position: place(value) })),
  };
}

/** Colours of the accuracy scale, low to high: red, amber, blue. */
const STOPS = [
  [0xdc, 0x26, 0x26],
  [0xea, 0xb3, 0x08],
  [0x25, 0x63, 0xeb],
] as const;
/** Runs without an accuracy. */
export const NO_ACCURACY_COLOR = '#9ca3af';

/** The colour of a run's line by its place on the accuracy axis (0 to 1), interpolated between the STOPS. */
export function accuracyColor(position: number | null): string {
  if (position === null) return NO_ACCURACY_COLOR;
  const scaled = Math.min(Math.max(position, 0), 1) * (STOPS.length - 1);
  const index = Math.min(Math.floor(scaled), STOPS.length - 2);
  const fraction = scaled - index;
  const channels = STOPS[index]!.map((low, channel) => {
    const high = STOPS[index + 1]![channel]!;
    return Math.round(low + (high - low) * fraction);
  });
  return `#${channels.map((channel) => channel.toString(16).padStart(2, '0')).join('')}`;
}
