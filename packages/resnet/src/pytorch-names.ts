// Maps TensorFlow.js weight names of a built ResNet onto the keys of the PyTorch reference's state_dict.
//
// Layer names are the PyTorch module names unchanged: TensorFlow.js accepts `.` and digits in names
// (its rule is /^[A-Za-z0-9][-A-Za-z0-9._\/]*$/), so no character needs replacing. Only the weight suffix differs.
// Layout differs too, which an importer must transpose: a conv kernel is [kh, kw, in, out] here and
// [out, in, kh, kw] in PyTorch; the linear kernel is [in, out] here and [out, in] in PyTorch.

const SUFFIXES: Readonly<Record<string, string>> = {
  kernel: 'weight',
  bias: 'bias',
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

/**
 * `layer1.0.bn1/moving_mean` -> `layer1.0.bn1.running_mean`; `linear/kernel` -> `linear.weight`.
 * PyTorch's `num_batches_tracked` has no counterpart: the Keras batch norm does not count batches.
 */
export function pytorchStateDictKey(weightName: string): string {
  const slash = weightName.lastIndexOf('/');
  const suffix = SUFFIXES[weightName.slice(slash + 1)];
  if (slash <= 0 || suffix === undefined) {
    throw new Error(`Expected a weight name '<layer>/<${Object.keys(SUFFIXES).join('|')}>', got '${weightName}'.`);
  }
  return `${weightName.slice(0, slash)}.${suffix}`;
}
