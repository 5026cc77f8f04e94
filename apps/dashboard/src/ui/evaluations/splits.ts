// The splits an evaluation measures, as the API's EvaluationSplit names them, and how the dashboard says them.
import type { EvaluationSplit } from '../../generated/graphql';

export const EVALUATION_SPLITS: readonly EvaluationSplit[] = ['TEST', 'TRAIN', 'ALL'];

export const SPLIT_LABELS: Record<EvaluationSplit, string> = {
  TEST: 'test split',
  TRAIN: 'training split',
  ALL: 'all images',
};
