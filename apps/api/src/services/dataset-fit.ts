// Whether a model can train on, or be evaluated on, a dataset: checked before a run is queued or an evaluation
// starts, so that the client hears what to change instead of a worker failing later.
import { badUserInput } from '../errors.js';
import type { Dataset, Model } from '../generated/prisma/client.js';
import type { DatasetService } from './dataset-service.js';

/**
 * Throws BAD_USER_INPUT on `datasetName` unless the dataset can be read now, has as many classes as the model has
 * outputs, and has images of the model's input size (image folders are resized, so any size fits).
 */
export async function checkDatasetFits(datasets: DatasetService, model: Model, dataset: Dataset): Promise<void> {
  const availability = await datasets.availability(dataset);
  if (!availability.available) {
    throw badUserInput(
      'datasetName',
      `Dataset '${dataset.name}' is not available: ${availability.reason}`,
      dataset.name,
    );
  }
  if (dataset.classNames.length !== model.classes) {
    throw badUserInput(
      'datasetName',
      `Model '${model.name}' has ${model.classes} classes but dataset '${dataset.name}' has ` +
        `${dataset.classNames.length}; create a model with classes: ${dataset.classNames.length}.`,
      dataset.name,
    );
  }
  const expectedSize = dataset.format === 'IMAGE_FOLDER' ? null : dataset.imageSize;
  if (expectedSize !== null && expectedSize !== model.inputSize) {
    throw badUserInput(
      'datasetName',
      `Model '${model.name}' takes ${model.inputSize}x${model.inputSize} images but dataset '${dataset.name}' ` +
        `has ${expectedSize}x${expectedSize}; create a model with inputSize: ${expectedSize}.`,
      dataset.name,
    );
  }
}
