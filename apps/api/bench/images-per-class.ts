// How many images of each class a benchmark dataset of `total` images takes: as even as the count allows, the first
// classes taking one more each when it does not divide, as a class-balanced test split would.

/** A count the source folder cannot supply. */
export class ImagesPerClassError extends RangeError {
  readonly code = 'BAD_USAGE';

  constructor(message: string) {
    super(message);
    this.name = 'ImagesPerClassError';
  }
}

/** `available[c]` images are in class `c` (named `classNames[c]`); returns how many of each to take. */
export function imagesPerClass(total: number, classNames: readonly string[], available: readonly number[]): number[] {
  if (classNames.length === 0) throw new ImagesPerClassError('Expected at least one class folder, got none.');
  if (!Number.isInteger(total) || total < 1) {
    throw new ImagesPerClassError(`Expected a positive whole number of images, got ${total}.`);
  }
  const share = Math.floor(total / classNames.length);
  const remainder = total % classNames.length;
  return classNames.map((name, index) => {
    const wanted = share + (index < remainder ? 1 : 0);
    if (available[index]! < wanted) {
      throw new ImagesPerClassError(
        `Expected class '${name}' to have at least ${wanted} images for ${total} in all, got ${available[index]}.`,
      );
    }
    return wanted;
  });
}
