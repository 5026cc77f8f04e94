// What a prediction runs and is recorded against: a checkpoint named by its id, or the version a model's alias points
// at. Resolving one takes a database query; PredictionTargets keeps the answers, and each prediction is stored only if
// its target still holds when it is written (storePrediction), so a kept answer can be stale for one forward pass at
// most, never for a recorded prediction.
import { LeastRecentlyUsed } from './least-recently-used.js';

export type PredictionTarget =
  | {
      readonly kind: 'checkpoint';
      readonly checkpointId: string;
      /** The checkpoint's files, as ArtifactStore locations. */
      readonly location: string;
    }
  | {
      readonly kind: 'alias';
      readonly modelName: string;
      readonly alias: string;
      readonly modelVersionId: string;
      readonly checkpointId: string;
      /** The version's files. */
      readonly location: string;
    };

/** How a request names its target: a checkpoint id, or a model's name and alias. */
export type TargetName =
  | { readonly kind: 'checkpoint'; readonly checkpointId: string }
  | { readonly kind: 'alias'; readonly modelName: string; readonly alias: string };

/**
 * Resolved targets by name, at most `capacity`, the least recently used dropped first. Nothing expires: a target
 * that no longer holds is found out when a prediction is stored, and forgotten then.
 */
export class PredictionTargets {
  private readonly targets: LeastRecentlyUsed<string, PredictionTarget>;

  constructor(capacity: number) {
    this.targets = new LeastRecentlyUsed(capacity);
  }

  get(name: TargetName): PredictionTarget | undefined {
    return this.targets.get(keyOf(name));
  }

  remember(name: TargetName, target: PredictionTarget): void {
    this.targets.set(keyOf(name), target);
  }

  forget(name: TargetName): void {
    this.targets.delete(keyOf(name));
  }

  clear(): void {
    this.targets.clear();
  }
}

function keyOf(name: TargetName): string {
  // JSON keeps a model name and an alias apart whatever characters they hold.
  return JSON.stringify(name.kind === 'checkpoint' ? [name.checkpointId] : [name.modelName, name.alias]);
}
