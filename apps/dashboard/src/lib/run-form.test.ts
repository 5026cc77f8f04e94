import { describe, expect, it } from 'vitest';
import { RUN_FORM_DEFAULTS, validateRunForm } from './run-form';

const filled = { ...RUN_FORM_DEFAULTS, modelName: 'tiny', datasetName: 'synthetic' };

describe('validateRunForm', () => {
  it('turns the seed defaults into a StartRunInput with numbers', () => {
    expect(validateRunForm(filled)).toEqual({
      input: {
        modelName: 'tiny',
        datasetName: 'synthetic',
        epochs: 50,
        batchSize: 128,
        learningRate: 0.1,
        schedule: 'step',
        momentum: 0.9,
        weightDecay: 0.0005,
        augment: true,
        seed: 0,
      },
    });
  });

  it('names each field that is wrong and what is allowed, before anything is sent', () => {
    expect(
      validateRunForm({
        ...RUN_FORM_DEFAULTS,
        epochs: '2.5',
        batchSize: '0',
        learningRate: '0',
        momentum: '1',
        weightDecay: '-1',
        seed: 'x',
        schedule: 'linear',
        init: 'xavier',
      }),
    ).toEqual({
      errors: {
        modelName: 'Choose a model.',
        datasetName: 'Choose a dataset.',
        epochs: 'A whole number from 1 to 10000.',
        batchSize: 'A whole number from 1 to 65536.',
        learningRate: 'Above 0, at most 10.',
        momentum: 'From 0 to below 1.',
        weightDecay: 'From 0 to 1.',
        seed: 'A whole number from 0 to 4294967295.',
        schedule: 'One of step, multistep, cosine, one-cycle, constant.',
        init: 'One of pytorch-default, torchvision, or the default.',
      },
    });
  });

  it("sends the initialization chosen, and none for the default of the model's stem", () => {
    const chosen = validateRunForm({ ...filled, init: 'torchvision' });
    expect('input' in chosen && chosen.input.init).toBe('torchvision');
    const byDefault = validateRunForm(filled);
    expect('input' in byDefault && 'init' in byDefault.input).toBe(false);
  });

  it('keeps an optional run name, trimmed', () => {
    const result = validateRunForm({ ...filled, name: '  baseline  ' });
    expect('input' in result && result.input.name).toBe('baseline');
  });
});
