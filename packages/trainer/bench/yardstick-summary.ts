// The yardstick's figures as tables: every run, then each tool's mean and spread over seeds next to the seed's log.
import { formatTable } from './format-table.js';
import { YARDSTICK_TOOLS, type YardstickResult, type YardstickTool } from './yardstick-result.js';

/** The seed's own first epoch (its log): 50,000 training images, 10,000 official test images, one run. */
export const SEED_EPOCH_0 = { trainAccuracy: 0.3024, testAccuracy: 0.4013 } as const;

export interface Spread {
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

export interface ToolSummary {
  readonly tool: YardstickTool;
  readonly seeds: readonly number[];
  readonly trainAccuracy: Spread;
  readonly testAccuracy: Spread;
}

/** Per tool that has results, in YARDSTICK_TOOLS order. */
export function summarizeYardstick(results: readonly YardstickResult[]): ToolSummary[] {
  return YARDSTICK_TOOLS.flatMap((tool) => {
    const runs = results.filter((result) => result.tool === tool);
    if (runs.length === 0) return [];
    return [
      {
        tool,
        seeds: runs.map((run) => run.seed),
        trainAccuracy: spread(runs.map((run) => run.trainAccuracy)),
        testAccuracy: spread(runs.map((run) => run.testAccuracy)),
      },
    ];
  });
}

function spread(values: readonly number[]): Spread {
  return {
    mean: values.reduce((sum, value) => sum + value, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

export function formatRunsTable(title: string, results: readonly YardstickResult[]): string {
  return formatTable(
    title,
    ['tool', 'seed', 'train accuracy', 'held-out accuracy', 'train loss', 'held-out loss', 'seconds'],
    results.map((result) => [
      result.tool,
      String(result.seed),
      result.trainAccuracy.toFixed(4),
      result.testAccuracy.toFixed(4),
      result.trainLoss.toFixed(4),
      result.testLoss.toFixed(4),
      result.seconds.toFixed(0),
    ]),
  );
}

export function formatSummaryTable(title: string, summaries: readonly ToolSummary[]): string {
  const figure = ({ mean, min, max }: Spread) => `${mean.toFixed(4)} (${min.toFixed(4)}-${max.toFixed(4)})`;
  return formatTable(
    title,
    ['tool', 'seeds', 'train accuracy: mean (min-max)', 'held-out accuracy: mean (min-max)'],
    [
      ...summaries.map((summary) => [
        summary.tool,
        summary.seeds.join(','),
        figure(summary.trainAccuracy),
        figure(summary.testAccuracy),
      ]),
      [
        "the seed's log, epoch 0",
        '',
        SEED_EPOCH_0.trainAccuracy.toFixed(4),
        `${SEED_EPOCH_0.testAccuracy.toFixed(4)} (official test set)`,
      ],
    ],
  );
}
