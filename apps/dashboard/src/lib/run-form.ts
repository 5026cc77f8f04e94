// The New run form's fields and the checks it makes before sending; the API checks again and its field errors are
// shown the same way.
import type { StartRunInput } from '../generated/graphql';

export const SCHEDULES = ['step', 'multistep', 'cosine', 'one-cycle', 'constant'] as const;
/** Weight initializations startRun accepts; the form's '' leaves the choice to the API (by the model's stem). */
export const INITS = ['pytorch-default', 'torchvision'] as const;

export interface RunFormValues {
  modelName: string;
  datasetName: string;
  name: string;
  epochs: string;
  batchSize: string;
  learningRate: string;
  schedule: string;
  momentum: string;
  weightDecay: string;
  augment: boolean;
  /** One of INITS, or '' for the default of the model's stem. */
  init: string;
  seed: string;
}

/** The seed's defaults (kuangliu/pytorch-cifar), as the API applies them. */
export const RUN_FORM_DEFAULTS: RunFormValues = {
  modelName: '',
  datasetName: '',
  name: '',
  epochs: '50',
  batchSize: '128',
  learningRate: '0.1',
  schedule: 'step',
  momentum: '0.9',
  weightDecay: '0.0005',
  augment: true,
  init: '',
  seed: '0',
};

export type RunFormErrors = Partial<Record<keyof RunFormValues, string>>;

/** Returns the StartRunInput, or the errors by field. */
export function validateRunForm(values: RunFormValues): { input: StartRunInput } | { errors: RunFormErrors } {
  const errors: RunFormErrors = {};
  const integer = (field: keyof RunFormValues, min: number, max: number): number => {
    const text = String(values[field]).trim();
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || value < min || value > max) errors[field] = `A whole number from ${min} to ${max}.`;
    return value;
  };
  const number = (field: keyof RunFormValues, check: (value: number) => boolean, rule: string): number => {
    const text = String(values[field]).trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || !check(value)) errors[field] = rule;
    return value;
  };
  if (!values.modelName) errors.modelName = 'Choose a model.';
  if (!values.datasetName) errors.datasetName = 'Choose a dataset.';
  const input = {
    modelName: values.modelName,
    datasetName: values.datasetName,
    ...(values.name.trim() ? { name: values.name.trim() } : {}),
    epochs: integer('epochs', 1, 10000),
    batchSize: integer('batchSize', 1, 65536),
    learningRate: number('learningRate', (value) => value > 0 && value <= 10, 'Above 0, at most 10.'),
    schedule: values.schedule,
    momentum: number('momentum', (value) => value >= 0 && value < 1, 'From 0 to below 1.'),
    weightDecay: number('weightDecay', (value) => value >= 0 && value <= 1, 'From 0 to 1.'),
    augment: values.augment,
    ...(values.init ? { init: values.init } : {}),
    seed: integer('seed', 0, 2 ** 32 - 1),
  };
  if (!(SCHEDULES as readonly string[]).includes(values.schedule)) errors.schedule = `One of ${SCHEDULES.join(', ')}.`;
  if (values.init && !(INITS as readonly string[]).includes(values.init)) {
    errors.init = `One of ${INITS.join(', ')}, or the default.`;
  }
  return Object.keys(errors).length > 0 ? { errors } : { input };
}
