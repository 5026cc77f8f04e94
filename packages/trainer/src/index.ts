// Public entry point of @resnet-lab/trainer: model persistence and the CLI, with training to come.
export { nodeFileSystem, writeFileAtomic } from './atomic-file.js';
export type { DurableFileSystem } from './atomic-file.js';
export {
  MODEL_JSON,
  ModelDirectoryError,
  loadModelFromDirectory,
  readModelArtifacts,
  saveModelToDirectory,
  writeModelArtifacts,
} from './model-directory.js';
export type { ModelMetadata, SaveModelOptions, SavedModel } from './model-directory.js';
export { runCli } from './cli/run-cli.js';
export type { CliIo } from './cli/cli-io.js';
