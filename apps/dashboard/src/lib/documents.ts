// The GraphQL operations the dashboard sends, each typed by src/generated/graphql.ts, which
// scripts/generate-graphql-types.ts generates from these operations and the API's schema (`npm run generate`).
// Every exported string of this file is an operation that the generator types and checks against the schema.
import type {
  ArchiveRunMutation,
  ArchiveRunMutationVariables,
  CancelRunMutation,
  CancelRunMutationVariables,
  CheckpointEvaluationsQuery,
  CheckpointEvaluationsQueryVariables,
  CompareQuery,
  CompareQueryVariables,
  CreateModelMutation,
  CreateModelMutationVariables,
  DeleteModelMutation,
  DeleteModelMutationVariables,
  DeleteModelVersionMutation,
  DeleteModelVersionMutationVariables,
  DeleteRunMutation,
  DeleteRunMutationVariables,
  DatasetsQuery,
  DatasetsQueryVariables,
  EvaluateCheckpointMutation,
  EvaluateCheckpointMutationVariables,
  ApiAccessQuery,
  ApiAccessQueryVariables,
  ModelEvaluationsQuery,
  ModelEvaluationsQueryVariables,
  ModelsQuery,
  ModelsQueryVariables,
  NewRunOptionsQuery,
  NewRunOptionsQueryVariables,
  PredictMutation,
  PredictMutationVariables,
  PredictOptionsQuery,
  PredictOptionsQueryVariables,
  PreviewDatasetMutation,
  PreviewDatasetMutationVariables,
  PromoteCheckpointMutation,
  PromoteCheckpointMutationVariables,
  RemoveModelAliasMutation,
  RemoveModelAliasMutationVariables,
  RegisterDatasetMutation,
  RegisterDatasetMutationVariables,
  ResumeRunMutation,
  ResumeRunMutationVariables,
  RunProgressSubscription,
  RunProgressSubscriptionVariables,
  RunAnnotationsQuery,
  RunAnnotationsQueryVariables,
  RunLogLinesSubscription,
  RunLogLinesSubscriptionVariables,
  RunLogsQuery,
  RunLogsQueryVariables,
  RunSystemMetricsQuery,
  RunSystemMetricsQueryVariables,
  RunQuery,
  RunQueryVariables,
  RunsQuery,
  RunsQueryVariables,
  RunStatus,
  RunUpdatedSubscription,
  RunUpdatedSubscriptionVariables,
  SetModelAliasMutation,
  SetModelAliasMutationVariables,
  StartRunMutation,
  StartRunMutationVariables,
  UnarchiveRunMutation,
  UnarchiveRunMutationVariables,
  UpdateRunMutation,
  UpdateRunMutationVariables,
  UpdateModelVersionMutation,
  UpdateModelVersionMutationVariables,
  WorkersQuery,
  WorkersQueryVariables,
} from '../generated/graphql';
import { typedDocument } from './typed-document';

export const RUN_STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>(['COMPLETED', 'FAILED', 'CANCELLED']);

const RUN_SUMMARY = /* GraphQL */ `
  fragment RunSummary on Run {
    id
    name
    tags
    status
    archivedAt
    epochs
    currentEpoch
    currentBatch
    batchesPerEpoch
    progress
    bestTestAccuracy
    imagesPerSecond
    durationSeconds
    createdAt
    startedAt
    finishedAt
    errorMessage
    backend
    device
    model {
      id
      name
    }
    dataset {
      id
      name
    }
  }
`;

const EPOCH_METRIC_ROW = /* GraphQL */ `
  fragment EpochMetricRow on EpochMetric {
    epoch
    trainLoss
    trainAccuracy
    testLoss
    testAccuracy
    learningRate
    durationSeconds
    imagesPerSecond
  }
`;

const CHECKPOINT_ROW = /* GraphQL */ `
  fragment CheckpointRow on Checkpoint {
    id
    epoch
    testAccuracy
    testLoss
    isBest
    sizeBytes
    available
    downloadPath
    safetensorsPath
    versions {
      version
      aliases
    }
  }
`;

/** What the run page's charts and epoch table draw besides the run's own metrics: the history it continues. */
const RUN_HISTORY = /* GraphQL */ `
  fragment RunHistory on Run {
    lineage {
      id
      name
    }
    lineageMetrics {
      inherited
      run {
        id
        name
      }
      metric {
        ...EpochMetricRow
      }
    }
    lineageBatchMetrics(maxPoints: 1000) {
      inherited
      metric {
        step
        loss
      }
    }
  }
`;

export const RUNS = typedDocument<RunsQuery, RunsQueryVariables>(
  /* GraphQL */ `
    query Runs($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {
      runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            ...RunSummary
          }
        }
      }
      models {
        id
        name
      }
      datasets {
        id
        name
      }
      runTags
    }
  `,
  RUN_SUMMARY,
);

export const RUN_UPDATED = typedDocument<RunUpdatedSubscription, RunUpdatedSubscriptionVariables>(
  /* GraphQL */ `
    subscription RunUpdated {
      runUpdated {
        ...RunSummary
      }
    }
  `,
  RUN_SUMMARY,
);

export const RUN = typedDocument<RunQuery, RunQueryVariables>(
  /* GraphQL */ `
    query Run($id: ID!) {
      run(id: $id) {
        ...RunSummary
        attempts
        metricsCsvPath
        metricsJsonPath
        batchMetricsCsvPath
        batchMetricsJsonPath
        source
        worker {
          id
          host
          device
        }
        hyperparameters {
          epochs
          batchSize
          learningRate
          momentum
          weightDecay
          nesterov
          schedule
          stepSize
          milestones
          gamma
          augment
          normalization
          init
          seed
          backend
          testFraction
          limitPerClass
        }
        metrics {
          ...EpochMetricRow
        }
        ...RunHistory
        checkpoints {
          ...CheckpointRow
        }
        latestCheckpoint {
          id
          epoch
        }
        resumedFrom {
          id
          epoch
          run {
            id
            name
          }
        }
      }
    }
  `,
  RUN_SUMMARY,
  EPOCH_METRIC_ROW,
  CHECKPOINT_ROW,
  RUN_HISTORY,
);

export const RUN_PROGRESS = typedDocument<RunProgressSubscription, RunProgressSubscriptionVariables>(
  /* GraphQL */ `
    subscription RunProgress($runId: ID!) {
      runProgress(runId: $runId) {
        __typename
        ... on BatchProgress {
          epoch
          batch
          batches
          loss
          accuracy
          imagesPerSecond
          progress
        }
        ... on EpochCompleted {
          metric {
            ...EpochMetricRow
          }
        }
        ... on CheckpointSaved {
          checkpoint {
            ...CheckpointRow
          }
        }
        ... on RunStatusChanged {
          status
          errorMessage
        }
      }
    }
  `,
  EPOCH_METRIC_ROW,
  CHECKPOINT_ROW,
);

export const CANCEL_RUN = typedDocument<CancelRunMutation, CancelRunMutationVariables>(/* GraphQL */ `
  mutation CancelRun($id: ID!) {
    cancelRun(id: $id) {
      id
      status
    }
  }
`);

export const RESUME_RUN = typedDocument<ResumeRunMutation, ResumeRunMutationVariables>(/* GraphQL */ `
  mutation ResumeRun($input: ResumeRunInput!) {
    resumeRun(input: $input) {
      id
    }
  }
`);

export const PROMOTE = typedDocument<PromoteCheckpointMutation, PromoteCheckpointMutationVariables>(/* GraphQL */ `
  mutation PromoteCheckpoint($input: PromoteCheckpointInput!) {
    promoteCheckpoint(input: $input) {
      version
      aliases
      model {
        name
      }
    }
  }
`);

export const COMPARE = typedDocument<CompareQuery, CompareQueryVariables>(
  /* GraphQL */ `
    query Compare($ids: [ID!]!) {
      compareRuns(ids: $ids) {
        runs {
          id
          name
          status
          model {
            name
          }
          dataset {
            name
          }
          bestTestAccuracy
          metrics {
            ...EpochMetricRow
          }
        }
        hyperparameters {
          name
          values
          differs
        }
        metricsCsvPath
        metricsJsonPath
      }
    }
  `,
  EPOCH_METRIC_ROW,
);

export const MODELS = typedDocument<ModelsQuery, ModelsQueryVariables>(/* GraphQL */ `
  query Models {
    models {
      id
      name
      description
      parameterCount
      macs
      createdAt
      architecture {
        arch
        stem
        width
        classes
        inputSize
      }
      stages {
        name
        outputSize
        channels
        blocks
        description
        parameters
        macs
      }
      aliases {
        alias
        version {
          id
          version
        }
      }
      runCount
      runs(first: 10) {
        id
        name
        status
        bestTestAccuracy
      }
      versions {
        id
        version
        aliases
        description
        createdAt
        checkpoint {
          id
          epoch
          testAccuracy
          safetensorsPath
          run {
            id
            name
          }
        }
      }
    }
  }
`);

export const CREATE_MODEL = typedDocument<CreateModelMutation, CreateModelMutationVariables>(/* GraphQL */ `
  mutation CreateModel($input: CreateModelInput!) {
    createModel(input: $input) {
      id
      name
    }
  }
`);

export const NEW_RUN_OPTIONS = typedDocument<NewRunOptionsQuery, NewRunOptionsQueryVariables>(/* GraphQL */ `
  query NewRunOptions {
    models {
      name
      architecture {
        arch
        classes
        inputSize
      }
    }
    datasets {
      name
      format
      classNames
      imageSize
      available
      unavailableReason
    }
  }
`);

export const START_RUN = typedDocument<StartRunMutation, StartRunMutationVariables>(/* GraphQL */ `
  mutation StartRun($input: StartRunInput!) {
    startRun(input: $input) {
      id
    }
  }
`);

export const PREDICT_OPTIONS = typedDocument<PredictOptionsQuery, PredictOptionsQueryVariables>(/* GraphQL */ `
  query PredictOptions {
    models {
      name
      versions {
        version
        aliases
        checkpoint {
          id
          epoch
        }
      }
    }
  }
`);

export const PREDICT = typedDocument<PredictMutation, PredictMutationVariables>(/* GraphQL */ `
  mutation Predict($input: PredictInput!) {
    predict(input: $input) {
      id
      latencyMs
      cached
      inputSha256
      topK {
        classIndex
        label
        probability
      }
      checkpoint {
        id
        epoch
      }
    }
  }
`);

/** A stored evaluation, as the Evaluate page lists and draws it. */
const EVALUATION_FIELDS = /* GraphQL */ `
  fragment EvaluationFields on Evaluation {
    id
    createdAt
    datasetName
    split
    images
    loss
    accuracy
    durationSeconds
    classNames
    confusionMatrix
    perClass {
      label
      images
      accuracy
    }
  }
`;

export const CHECKPOINT_EVALUATIONS = typedDocument<CheckpointEvaluationsQuery, CheckpointEvaluationsQueryVariables>(
  /* GraphQL */ `
    query CheckpointEvaluations($id: ID!) {
      checkpoint(id: $id) {
        id
        epoch
        available
        run {
          id
          name
          dataset {
            name
            classNames
          }
        }
        evaluations {
          ...EvaluationFields
        }
      }
      datasets {
        name
        classNames
        available
      }
    }
  `,
  EVALUATION_FIELDS,
);

export const EVALUATE = typedDocument<EvaluateCheckpointMutation, EvaluateCheckpointMutationVariables>(
  /* GraphQL */ `
    mutation EvaluateCheckpoint($input: EvaluateCheckpointInput!) {
      evaluateCheckpoint(input: $input) {
        ...EvaluationFields
      }
    }
  `,
  EVALUATION_FIELDS,
);

export const MODEL_EVALUATIONS = typedDocument<ModelEvaluationsQuery, ModelEvaluationsQueryVariables>(/* GraphQL */ `
  query ModelEvaluations($id: ID!, $first: Int) {
    model(id: $id) {
      id
      evaluations(first: $first) {
        id
        createdAt
        datasetName
        split
        images
        accuracy
        checkpoint {
          id
          epoch
          run {
            id
            name
          }
        }
      }
    }
  }
`);

export const WORKERS = typedDocument<WorkersQuery, WorkersQueryVariables>(/* GraphQL */ `
  query Workers($includeStopped: Boolean) {
    system {
      workers(includeStopped: $includeStopped) {
        id
        host
        pid
        backend
        device
        status
        startedAt
        lastHeartbeatAt
        currentRun {
          id
          name
        }
      }
    }
  }
`);

/** Whether the API needs its token for mutations and downloads: the nav and the explorer then ask for it. */
export const API_ACCESS = typedDocument<ApiAccessQuery, ApiAccessQueryVariables>(/* GraphQL */ `
  query ApiAccess {
    system {
      mutationsRequireToken
    }
  }
`);

/** A run's tags and notes for their editor, and every tag in use for suggestions. */
export const RUN_ANNOTATIONS = typedDocument<RunAnnotationsQuery, RunAnnotationsQueryVariables>(/* GraphQL */ `
  query RunAnnotations($id: ID!) {
    run(id: $id) {
      id
      tags
      notes
    }
    runTags
  }
`);

export const UPDATE_RUN = typedDocument<UpdateRunMutation, UpdateRunMutationVariables>(/* GraphQL */ `
  mutation UpdateRun($input: UpdateRunInput!) {
    updateRun(input: $input) {
      id
      name
      tags
      notes
    }
  }
`);

export const DATASETS = typedDocument<DatasetsQuery, DatasetsQueryVariables>(/* GraphQL */ `
  query Datasets {
    datasetRoots
    datasets {
      id
      name
      description
      format
      location
      classNames
      trainSize
      testSize
      imageSize
      builtIn
      available
      unavailableReason
      downloadCommand
    }
  }
`);

export const PREVIEW_DATASET = typedDocument<PreviewDatasetMutation, PreviewDatasetMutationVariables>(/* GraphQL */ `
  mutation PreviewDataset($input: PreviewDatasetInput!) {
    previewDataset(input: $input) {
      format
      location
      classNames
      trainSize
      testSize
      imageSize
      classes {
        className
        trainSize
        testSize
      }
      thumbnails {
        className
        file
        sourceWidth
        sourceHeight
        dataUrl
      }
    }
  }
`);

export const REGISTER_DATASET = typedDocument<RegisterDatasetMutation, RegisterDatasetMutationVariables>(/* GraphQL */ `
  mutation RegisterDataset($input: RegisterDatasetInput!) {
    registerDataset(input: $input) {
      id
      name
    }
  }
`);

export const ARCHIVE_RUN = typedDocument<ArchiveRunMutation, ArchiveRunMutationVariables>(/* GraphQL */ `
  mutation ArchiveRun($id: ID!) {
    archiveRun(id: $id) {
      id
      archivedAt
    }
  }
`);

export const UNARCHIVE_RUN = typedDocument<UnarchiveRunMutation, UnarchiveRunMutationVariables>(/* GraphQL */ `
  mutation UnarchiveRun($id: ID!) {
    unarchiveRun(id: $id) {
      id
      archivedAt
    }
  }
`);

export const DELETE_RUN = typedDocument<DeleteRunMutation, DeleteRunMutationVariables>(/* GraphQL */ `
  mutation DeleteRun($id: ID!) {
    deleteRun(id: $id)
  }
`);

export const DELETE_MODEL = typedDocument<DeleteModelMutation, DeleteModelMutationVariables>(/* GraphQL */ `
  mutation DeleteModel($id: ID!) {
    deleteModel(id: $id)
  }
`);

export const DELETE_MODEL_VERSION = typedDocument<DeleteModelVersionMutation, DeleteModelVersionMutationVariables>(
  /* GraphQL */ `
    mutation DeleteModelVersion($id: ID!) {
      deleteModelVersion(id: $id)
    }
  `,
);

export const SET_MODEL_ALIAS = typedDocument<SetModelAliasMutation, SetModelAliasMutationVariables>(/* GraphQL */ `
  mutation SetModelAlias($input: SetModelAliasInput!) {
    setModelAlias(input: $input) {
      alias
      version {
        version
      }
    }
  }
`);

export const REMOVE_MODEL_ALIAS = typedDocument<RemoveModelAliasMutation, RemoveModelAliasMutationVariables>(
  /* GraphQL */ `
    mutation RemoveModelAlias($modelId: ID!, $alias: String!) {
      removeModelAlias(modelId: $modelId, alias: $alias) {
        id
      }
    }
  `,
);

export const UPDATE_MODEL_VERSION = typedDocument<UpdateModelVersionMutation, UpdateModelVersionMutationVariables>(
  /* GraphQL */ `
    mutation UpdateModelVersion($input: UpdateModelVersionInput!) {
      updateModelVersion(input: $input) {
        id
        description
      }
    }
  `,
);

const RUN_LOG_LINE_ROW = /* GraphQL */ `
  fragment RunLogLineRow on RunLogLine {
    seq
    stream
    line
  }
`;

/** A run's status and the last `last` lines of its log. */
export const RUN_LOGS = typedDocument<RunLogsQuery, RunLogsQueryVariables>(
  /* GraphQL */ `
    query RunLogs($id: ID!, $last: Int!) {
      run(id: $id) {
        id
        logs(last: $last) {
          ...RunLogLineRow
        }
      }
    }
  `,
  RUN_LOG_LINE_ROW,
);

/** The run's log lines after `after` (stored ones first), then new ones live, until the run ends. */
export const RUN_LOG_LINES = typedDocument<RunLogLinesSubscription, RunLogLinesSubscriptionVariables>(
  /* GraphQL */ `
    subscription RunLogLines($runId: ID!, $after: Int) {
      runLogs(runId: $runId, after: $after) {
        ...RunLogLineRow
      }
    }
  `,
  RUN_LOG_LINE_ROW,
);

export const RUN_SYSTEM_METRICS = typedDocument<RunSystemMetricsQuery, RunSystemMetricsQueryVariables>(/* GraphQL */ `
  query RunSystemMetrics($id: ID!, $maxPoints: Int!) {
    run(id: $id) {
      id
      systemMetrics(maxPoints: $maxPoints) {
        at
        cpuPercent
        memoryBytes
        systemMemoryUsedBytes
        gpuUtilization
        gpuMemoryBytes
      }
    }
  }
`);
