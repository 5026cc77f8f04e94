// Resolvers of models.graphql: models, their runs, and the registry of versions and aliases.
import type { Resolvers } from '../../generated/graphql.js';
import { ModelService } from '../../services/model-service.js';
import { byIdOrName } from './base.js';

export const modelResolvers: Resolvers = {
  Query: {
    models: (_, __, { services }) => services.models.list(),
    model: (_, args, { services }) => services.models.find(byIdOrName(args)),
  },

  Mutation: {
    createModel: (_, { input }, { services }) => services.models.create(input),
    deleteModel: (_, { id }, { services }) => services.models.delete(id),
    deleteModelVersion: (_, { id }, { services }) => services.checkpoints.deleteVersion(id),
    setModelAlias: (_, { input }, { services }) => services.modelRegistry.setAlias(input),
    removeModelAlias: (_, { modelId, alias }, { services }) => services.modelRegistry.removeAlias(modelId, alias),
    updateModelVersion: (_, { input }, { services }) => services.modelRegistry.updateVersion(input),
    importModelVersion: (_, { input }, { services }) => services.modelImports.importVersion(input),
  },

  Model: {
    parameterCount: (model) => Number(model.parameterCount),
    macs: (model) => Number(model.macs),
    architecture: (model) => ({
      arch: model.arch,
      stem: model.stem,
      width: model.width,
      classes: model.classes,
      inputSize: model.inputSize,
    }),
    stages: (model) =>
      ModelService.summarize(model).stages.map((stage) => ({
        name: stage.name,
        outputSize: stage.outputSize,
        channels: stage.outChannels,
        blocks: stage.blocks,
        description: stage.description,
        parameters: stage.trainableParams,
        macs: stage.macs,
      })),
    runs: (model, { first }, { services }) => services.models.runs(model.id, first),
    runCount: (model, _, { services }) => services.models.runCount(model.id),
    versions: (model, _, { services }) => services.models.versions(model.id),
    aliases: (model, _, { services }) => services.models.aliases(model.id),
    evaluations: (model, { first }, { services }) => services.evaluations.ofModel(model.id, first),
  },

  ModelVersion: {
    model: (version, _, { services }) => services.models.get(version.modelId),
    checkpoint: (version, _, { services }) => services.checkpoints.get(version.checkpointId),
    aliases: (version, _, { services }) => services.models.aliasNamesOfVersion(version.id),
  },

  ModelAlias: {
    version: (alias, _, { services }) => services.models.getVersion(alias.versionId),
  },
};
