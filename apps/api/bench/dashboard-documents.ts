// The dashboard's own operations, copied verbatim from apps/dashboard/src/lib/documents.ts (the API must not import
// the dashboard): the runs list (`/`), the Models page (`/models`) and a run's live progress (`/runs/<id>`). Each
// constant is the operation followed by the fragments it spreads, as the dashboard's typedDocument joins them.

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
    versions {
      version
      aliases
    }
  }
`;

/** `query Runs`: one page of the runs list, with the models and datasets of its filters. */
export const RUNS_QUERY = [
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
].join('\n');

/** `query Models`: every model with its stages, newest runs and versions. */
export const MODELS_QUERY = /* GraphQL */ `
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
          run {
            id
            name
          }
        }
      }
    }
  }
`;

/** `subscription RunProgress`: the run page's live curves, epochs and checkpoints. */
export const RUN_PROGRESS_SUBSCRIPTION = [
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
].join('\n');
