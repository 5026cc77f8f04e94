// What a prediction runs and is recorded against: a checkpoint named by its id, or the version a model's alias points
// at. Resolving one takes a database query; PredictionTargets keeps the answers, and each prediction is stored only if
// its target still holds when it is written (storePrediction), so a kept answer can be stale for one forward pass at
// most, never for a recorded prediction.

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
  private readonly targets = new Map<string, PredictionTarget>();

  constructor(private readonly capacity: number) {}

  get(name: TargetName): PredictionTarget | undefined {
    const key = keyOf(name);
    const target = this.targets.get(key);
    if (target) {
      this.targets.delete(key);
      this.targets.set(key, target);
    }
    return target;
  }

  remember(name: TargetName, target: PredictionTarget): void {
    const key = keyOf(name);
    this.targets.delete(key);
    this.targets.set(key, target);
    while (this.targets.size > this.capacity) this.targets.delete(this.targets.keys().next().value!);
  }

  forget(name: TargetName): void {
    this.targets.delete(keyOf(name));
  }

  clear(): void {
    this.targets.clear();
  }

  get size(): number {
    return this.targets.size;
  }
}

function keyOf(name: TargetName): string {
  // JSON keeps a model name and an alias apart whatever characters they hold.
  return JSON.stringify(name.kind === 'checkpoint' ? [name.checkpointId] : [name.modelName, name.alias]);
}
