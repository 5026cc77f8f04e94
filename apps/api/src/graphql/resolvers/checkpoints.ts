// Resolvers of checkpoints.graphql: checkpoints, their promotion, their stored evaluations, and predictions.
import { checkpointDownloadPath } from '../../artifacts/checkpoint-download.js';
import { checkpointSafetensorsPath } from '../../artifacts/checkpoint-safetensors.js';
import type { Resolvers } from '../../generated/graphql.js';
import { EvaluationService } from '../../services/evaluation-service.js';

export const checkpointResolvers: Resolvers = {
  Query: {
    checkpoint: (_, { id }, { services }) => services.checkpoints.find(id),
    predictions: (_, { checkpointId, first }, { services }) => services.checkpoints.predictions(checkpointId, first),
    evaluation: (_, { id }, { services }) => services.evaluations.find(id),
  },

  Mutation: {
    promoteCheckpoint: (_, { input }, { services }) => services.checkpoints.promote(input),
    evaluateCheckpoint: (_, { input }, { services }) => services.evaluations.evaluate(input),
    predict: (_, { input }, { services }) => services.predictions.predict(input),
  },

  Checkpoint: {
    run: (checkpoint, _, { services }) => services.runCatalog.get(checkpoint.runId),
    sizeBytes: (checkpoint) => Number(checkpoint.sizeBytes),
    downloadPath: (checkpoint) => (checkpoint.prunedAt === null ? checkpointDownloadPath(checkpoint.id) : null),
    safetensorsPath: (checkpoint) => (checkpoint.prunedAt === null ? checkpointSafetensorsPath(checkpoint.id) : null),
    available: (checkpoint) => checkpoint.prunedAt === null,
    versions: (checkpoint, _, { services }) => services.checkpoints.versions(checkpoint.id),
    evaluations: (checkpoint, _, { services }) => services.evaluations.ofCheckpoint(checkpoint.id),
  },

  Evaluation: {
    checkpoint: (evaluation, _, { services }) => services.checkpoints.get(evaluation.checkpointId),
    dataset: (evaluation, _, { services }) =>
      evaluation.datasetId === null ? null : services.datasets.get(evaluation.datasetId),
    perClass: (evaluation) => EvaluationService.perClass(evaluation),
    confusionMatrix: (evaluation) => EvaluationService.confusionMatrix(evaluation),
  },

  Prediction: {
    checkpoint: (prediction, _, { services }) => services.checkpoints.get(prediction.checkpointId),
    modelVersion: (prediction, _, { services }) =>
      prediction.modelVersionId ? services.models.findVersion(prediction.modelVersionId) : null,
    topK: (prediction) => prediction.topK as { classIndex: number; label: string; probability: number }[],
  },
};
