// Resolvers of checkpoints.graphql: checkpoints, their promotion and evaluation, and predictions.
import { checkpointDownloadPath } from '../../artifacts/checkpoint-download.js';
import { checkpointSafetensorsPath } from '../../artifacts/checkpoint-safetensors.js';
import type { Resolvers } from '../../generated/graphql.js';

export const checkpointResolvers: Resolvers = {
  Query: {
    checkpoint: (_, { id }, { services }) => services.checkpoints.find(id),
    predictions: (_, { checkpointId, first }, { services }) => services.checkpoints.predictions(checkpointId, first),
  },

  Mutation: {
    promoteCheckpoint: (_, { input }, { services }) => services.checkpoints.promote(input),
    evaluateCheckpoint: async (_, { input }, { services }) => {
      const { checkpoint, dataset, split, evaluation, durationSeconds } = await services.checkpoints.evaluate(input);
      return {
        checkpoint,
        dataset,
        split,
        images: evaluation.count,
        loss: evaluation.loss,
        accuracy: evaluation.accuracy,
        classNames: [...evaluation.classNames],
        confusionMatrix: evaluation.confusionMatrix.map((row) => [...row]),
        perClass: evaluation.classNames.map((label, index) => ({
          label,
          images: evaluation.confusionMatrix[index]!.reduce((total, count) => total + count, 0),
          accuracy: evaluation.perClassAccuracy[index] ?? 0,
        })),
        durationSeconds,
      };
    },
    predict: (_, { input }, { services }) => services.predictions.predict(input),
  },

  Checkpoint: {
    run: (checkpoint, _, { services }) => services.runCatalog.get(checkpoint.runId),
    sizeBytes: (checkpoint) => Number(checkpoint.sizeBytes),
    downloadPath: (checkpoint) => (checkpoint.prunedAt === null ? checkpointDownloadPath(checkpoint.id) : null),
    safetensorsPath: (checkpoint) => (checkpoint.prunedAt === null ? checkpointSafetensorsPath(checkpoint.id) : null),
    available: (checkpoint) => checkpoint.prunedAt === null,
    versions: (checkpoint, _, { services }) => services.checkpoints.versions(checkpoint.id),
  },

  Prediction: {
    checkpoint: (prediction, _, { services }) => services.checkpoints.get(prediction.checkpointId),
    modelVersion: (prediction, _, { services }) =>
      prediction.modelVersionId ? services.models.findVersion(prediction.modelVersionId) : null,
    topK: (prediction) => prediction.topK as { classIndex: number; label: string; probability: number }[],
  },
};
