import { describe, expect, it } from 'vitest';
import { ImagesPerClassError, imagesPerClass } from './images-per-class.js';

const CIFAR10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const FIVE_THOUSAND_EACH = CIFAR10.map(() => 5000);

describe('imagesPerClass', () => {
  it('takes 1,000 of each CIFAR-10 class for 10,000 images', () => {
    expect(imagesPerClass(10_000, CIFAR10, FIVE_THOUSAND_EACH)).toEqual(CIFAR10.map(() => 1000));
  });

  it('gives the remainder to the first classes, one each', () => {
    expect(imagesPerClass(503, CIFAR10, FIVE_THOUSAND_EACH)).toEqual([51, 51, 51, 50, 50, 50, 50, 50, 50, 50]);
    expect(imagesPerClass(3, CIFAR10, FIVE_THOUSAND_EACH)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('takes every image of a class when its share is all it has', () => {
    expect(imagesPerClass(7, ['a', 'b'], [4, 3])).toEqual([4, 3]);
  });

  it('refuses a share that a class cannot supply, naming the class and both counts', () => {
    expect(() => imagesPerClass(7, ['a', 'b'], [3, 4])).toThrow(
      new ImagesPerClassError("Expected class 'a' to have at least 4 images for 7 in all, got 3."),
    );
  });

  it('refuses no classes and a count that is not a positive whole number', () => {
    expect(() => imagesPerClass(10, [], [])).toThrow(
      new ImagesPerClassError('Expected at least one class folder, got none.'),
    );
    expect(() => imagesPerClass(0, ['a'], [5])).toThrow(
      new ImagesPerClassError('Expected a positive whole number of images, got 0.'),
    );
    expect(() => imagesPerClass(1.5, ['a'], [5])).toThrow(
      new ImagesPerClassError('Expected a positive whole number of images, got 1.5.'),
    );
  });
});
