// The GraphQL operations the dashboard sends, each typed by src/generated/graphql.ts, which
// scripts/generate-graphql-types.ts generates from these operations and the API's schema (`npm run generate`).
// Every exported string of this file is an operation that the generator types and checks against the schema.
import type {
  CancelRunMutation,
  CancelRunMutationVariables,
  CompareQuery,
  CompareQueryVariables,
  CreateModelMutation,
  CreateModelMutationVariables,
  EvaluateCheckpointMutation,
  EvaluateCheckpointMutationVariables,
  ModelsQuery,
  ModelsQueryVariables,
  NewRunOptionsQuery,
  NewRunOptionsQueryVariables,
  PredictMutation,
  PredictMutationVariables,
  PredictOptionsQuery,
  PredictOptionsQueryVariables,
  PromoteCheckpointMutation,
  PromoteCheckpointMutationVariables,
  ResumeRunMutation,
  ResumeRunMutationVariables,
  RunProgressSubscription,
  RunProgressSubscriptionVariables,
  RunQuery,
  RunQueryVariables,
  RunsQuery,
  RunsQueryVariables,
  RunStatus,
  RunUpdatedSubscription,
  RunUpdatedSubscriptionVariables,
  StartRunMutation,
  StartRunMutationVariables,
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
    status
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
        batchMetrics {
          step
          loss
        }
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

export const EVALUATE = typedDocument<EvaluateCheckpointMutation, EvaluateCheckpointMutationVariables>(/* GraphQL */ `
  mutation EvaluateCheckpoint($input: EvaluateCheckpointInput!) {
    evaluateCheckpoint(input: $input) {
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
      checkpoint {
        id
        epoch
        run {
          id
          name
        }
      }
      dataset {
        name
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
