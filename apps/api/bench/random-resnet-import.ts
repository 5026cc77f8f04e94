// The model the API benchmarks serve: a ResNet with seeded random weights, written where importModelVersion finds it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildResNet, exportStateDict, writeSafetensors, type ResNetConfig } from '@resnet-lab/resnet';
import { InferenceModel } from '@resnet-lab/trainer';

/** The file name importModelVersion is given (its `path`, under IMPORT_ROOTS). */
export const IMPORTED_FILE = 'resnet18.safetensors';

export interface RandomResNetImport {
  /** A new directory under `root` holding IMPORTED_FILE: the API's IMPORT_ROOTS. */
  readonly importRoot: string;
  /** The same weights folded, for timing forward passes in the benchmark's own process; the caller disposes it. */
  readonly inference: InferenceModel;
}

/** Builds a ResNet of `config` (seed 1), writes its PyTorch state dict as safetensors and folds it for inference. */
export async function writeRandomResNetImport(root: string, config: ResNetConfig): Promise<RandomResNetImport> {
  const model = buildResNet(config, { seed: 1 });
  try {
    const importRoot = path.join(root, 'imports');
    await fs.mkdir(importRoot);
    await fs.writeFile(path.join(importRoot, IMPORTED_FILE), writeSafetensors(exportStateDict(model)));
    return { importRoot, inference: InferenceModel.fromResNet(model, config) };
  } finally {
    model.dispose();
  }
}
