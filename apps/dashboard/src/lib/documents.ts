// The GraphQL operations the dashboard sends. Field names follow apps/api/src/schema.

export const RUN_FIELDS = `
  id name status epochs currentEpoch currentBatch batchesPerEpoch progress bestTestAccuracy imagesPerSecond
  durationSeconds createdAt startedAt finishedAt errorMessage backend device
  model { id name } dataset { id name }
`;

export type RunStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export const RUN_STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  epochs: number;
  currentEpoch: number;
  currentBatch: number;
  batchesPerEpoch: number | null;
  progress: number;
  bestTestAccuracy: number | null;
  imagesPerSecond: number | null;
  durationSeconds: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  errorMessage: string | null;
  backend: string | null;
  device: string | null;
  model: { id: string; name: string };
  dataset: { id: string; name: string };
}

export const RUNS = `query Runs($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {
  runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { ${RUN_FIELDS} } }
  }
  models { id name }
  datasets { id name }
}`;

export const RUN_UPDATED = `subscription { runUpdated { ${RUN_FIELDS} } }`;

export interface EpochMetric {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number | null;
  testAccuracy: number | null;
  learningRate: number;
  durationSeconds: number;
  imagesPerSecond: number;
}
const METRIC_FIELDS =
  'epoch trainLoss trainAccuracy testLoss testAccuracy learningRate durationSeconds imagesPerSecond';

export interface CheckpointRow {
  id: string;
  epoch: number;
  testAccuracy: number | null;
  testLoss: number | null;
  isBest: boolean;
  sizeBytes: number;
  available: boolean;
  versions: { version: number; aliases: string[] }[];
}
const CHECKPOINT_FIELDS = 'id epoch testAccuracy testLoss isBest sizeBytes available versions { version aliases }';

export const HYPERPARAMETER_FIELDS =
  'epochs batchSize learningRate momentum weightDecay nesterov schedule stepSize milestones gamma augment normalization seed backend testFraction limitPerClass';

export type Hyperparameters = Record<string, string | number | boolean | number[]>;

export interface RunDetail extends RunSummary {
  hyperparameters: Hyperparameters;
  metrics: EpochMetric[];
  checkpoints: CheckpointRow[];
  latestCheckpoint: { id: string; epoch: number } | null;
  resumedFrom: { id: string; epoch: number; run: { id: string; name: string } } | null;
}

export const RUN = `query Run($id: ID!) {
  run(id: $id) {
    ${RUN_FIELDS}
    hyperparameters { ${HYPERPARAMETER_FIELDS} }
    metrics { ${METRIC_FIELDS} }
    checkpoints { ${CHECKPOINT_FIELDS} }
    latestCheckpoint { id epoch }
    resumedFrom { id epoch run { id name } }
  }
}`;

export type ProgressEvent =
  | {
      __typename: 'BatchProgress';
      epoch: number;
      batch: number;
      batches: number;
      loss: number;
      accuracy: number;
      imagesPerSecond: number;
      progress: number;
    }
  | { __typename: 'EpochCompleted'; metric: EpochMetric }
  | { __typename: 'CheckpointSaved'; checkpoint: CheckpointRow }
  | { __typename: 'RunStatusChanged'; status: RunStatus; errorMessage: string | null };

export const RUN_PROGRESS = `subscription RunProgress($runId: ID!) {
  runProgress(runId: $runId) {
    __typename
    ... on BatchProgress { epoch batch batches loss accuracy imagesPerSecond progress }
    ... on EpochCompleted { metric { ${METRIC_FIELDS} } }
    ... on CheckpointSaved { checkpoint { ${CHECKPOINT_FIELDS} } }
    ... on RunStatusChanged { status errorMessage }
  }
}`;

export const CANCEL_RUN = `mutation($id: ID!) { cancelRun(id: $id) { id status } }`;
export const RESUME_RUN = `mutation($input: ResumeRunInput!) { resumeRun(input: $input) { id } }`;
export const PROMOTE = `mutation($input: PromoteCheckpointInput!) {
  promoteCheckpoint(input: $input) { version aliases model { name } }
}`;

export const COMPARE = `query Compare($ids: [ID!]!) {
  compareRuns(ids: $ids) {
    runs { id name status model { name } dataset { name } bestTestAccuracy metrics { ${METRIC_FIELDS} } }
    hyperparameters { name values differs }
  }
}`;

export const MODELS = `query Models {
  models {
    id name description parameterCount macs createdAt
    architecture { arch stem width classes inputSize }
    stages { name outputSize channels blocks description parameters macs }
    runs { id name status bestTestAccuracy }
    versions { id version aliases createdAt checkpoint { id epoch testAccuracy run { id name } } }
  }
}`;

export const CREATE_MODEL = `mutation($input: CreateModelInput!) { createModel(input: $input) { id name } }`;

export const NEW_RUN_OPTIONS = `query NewRunOptions {
  models { name architecture { arch classes inputSize } }
  datasets { name format classNames imageSize available unavailableReason }
}`;

export const START_RUN = `mutation($input: StartRunInput!) { startRun(input: $input) { id } }`;

export const PREDICT_OPTIONS = `query PredictOptions {
  models { name versions { version aliases checkpoint { id epoch } } }
}`;

export const PREDICT = `mutation($input: PredictInput!) {
  predict(input: $input) { id latencyMs cached inputSha256 topK { classIndex label probability } checkpoint { id epoch } }
}`;

export const EVALUATE = `mutation($input: EvaluateCheckpointInput!) {
  evaluateCheckpoint(input: $input) {
    images loss accuracy durationSeconds classNames confusionMatrix
    perClass { label images accuracy }
    checkpoint { id epoch run { id name } }
    dataset { name }
  }
}`;
