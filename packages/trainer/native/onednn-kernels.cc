// Node addon: oneDNN kernels for float32 arrays in TensorFlow.js's layouts. 2-D convolutions in all three directions
// (forward, gradient with respect to the input, gradient with respect to the filter) on NHWC activations and
// [kh, kw, in, out] filters, an inference convolution with a bias, a residual sum and a ReLU fused in,
// element-wise add, multiply and subtract with broadcasting, batch normalization's training forward and backward,
// the SGD update of many parameters in one pass, ReLU forward and backward, and a whole folded network's inference in
// one call (createNetwork, runNetwork).
//
// The arrays are views of the wasm backend's heap, so no activation is copied: oneDNN reads and writes the tensors
// where wasm keeps them. Primitives are kept per distinct shape (LruCache), because creating one JIT-compiles code.
#include <node_api.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

// [batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth,
//  strideHeight, strideWidth, padTop, padLeft, padBottom, padRight]
constexpr size_t kGeometrySize = 15;
using Geometry = std::array<int64_t, kGeometrySize>;

enum class Direction { kForward = 0, kInputGradient = 1, kFilterGradient = 2 };

// Primitives kept for reuse, at most `capacity` of them, the least recently used dropped first. Creating a primitive
// JIT-compiles code, so each distinct shape is worth keeping; but a long-running process (the API serving predictions
// of any batch size) would otherwise keep one per shape it ever saw.
template <typename Key, typename Value>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  template <typename Create>
  Value& GetOrCreate(const Key& key, Create create) {
    auto found = index_.find(key);
    if (found != index_.end()) {
      entries_.splice(entries_.begin(), entries_, found->second);
      return found->second->second;
    }
    entries_.emplace_front(key, create());
    index_.emplace(key, entries_.begin());
    if (entries_.size() > capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
    return entries_.front().second;
  }

  size_t size() const { return entries_.size(); }

  void clear() {
    index_.clear();
    entries_.clear();
  }

 private:
  size_t capacity_;
  std::list<std::pair<Key, Value>> entries_;
  std::map<Key, typename std::list<std::pair<Key, Value>>::iterator> index_;
};

// ResNet18 trains with about 100 convolution primitives (20 layers, 3 directions, the last partial batch) and 50
// binary ones.
constexpr size_t kCacheCapacity = 512;

struct Descriptors {
  memory::desc source, weights, destination;
  memory::dims strides, padLeft, padRight;
};

Descriptors Describe(const Geometry& g) {
  const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
  return {
      memory::desc({n, ic, ih, iw}, memory::data_type::f32, Tag::nhwc),
      memory::desc({oc, ic, kh, kw}, memory::data_type::f32, Tag::hwio),
      memory::desc({n, oc, oh, ow}, memory::data_type::f32, Tag::nhwc),
      {sh, sw},
      {pt, pl},
      {pb, pr},
  };
}

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// Convolution algorithms. Winograd's F(4x4, 3x3) (oneDNN's jit_wino_4x3) computes a 3x3 stride-1 convolution with
// 2.25x fewer multiplications than the direct algorithm. ResNet18's 3x3 convolutions at batch 32 (2 threads, AVX-512)
// ran in half the time, forward and both gradients together: 64 channels at 32x32 38 -> 19 ms, 512 at 4x4 41 -> 23.
// Its transforms round differently: up to 3e-6 of the output's largest value away from the direct algorithm's result
// in float32 (both gradients as well). It needs nChw16c activations, so NHWC tensors are reordered into scratch
// buffers and back (0.3 ms for 64 channels at 32x32, batch 32).
//
// kAuto takes it for 3x3 stride-1 convolutions of multiples of 16 channels with at least kWinogradMinimumTiles 4x4
// output tiles (batch x tiles per image): below that, transforming the filter dominates and the direct algorithm is
// faster (measured: 512 channels at 4x4 lose at batch 16 and win at 32; 128 channels at 16x16 lose at batch 1).
// kWinograd takes it wherever oneDNN has it (tests); kDirect never (RESNET_LAB_CONVOLUTION=direct). kAuto also
// gives strided 3x3 convolutions with few output pixels to a matrix product in training (PrefersGemm).
enum class ConvolutionAlgorithm { kDirect = 0, kAuto = 1, kWinograd = 2 };
constexpr int kConvolutionAlgorithms = 3;
constexpr int64_t kWinogradMinimumTiles = 32;
ConvolutionAlgorithm gAlgorithm = ConvolutionAlgorithm::kAuto;

bool PrefersWinograd(const Geometry& g) {
  const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
  if (gAlgorithm == ConvolutionAlgorithm::kDirect) return false;
  if (kh != 3 || kw != 3 || sh != 1 || sw != 1 || ic % 16 != 0 || oc % 16 != 0) return false;
  return gAlgorithm == ConvolutionAlgorithm::kWinograd ||
         n * ((oh + 3) / 4) * ((ow + 3) / 4) >= kWinogradMinimumTiles;
}

// A tensor's layout in a primitive, and where it is not the caller's, the reorders into it (`in`, for what the
// primitive reads) and back (`out`, for what it writes). Only those asked for are made: oneDNN reorders a filter into
// the Winograd inference kernels' own format but not out of it.
struct Layout {
  memory::desc desc;
  bool reorders = false;
  dnnl::reorder in, out;
};

enum Access { kRead = 1, kWrite = 2 };

// `staged`: copied through a scratch buffer even where the layouts match (see ScratchBuffer).
Layout LayoutOf(const memory::desc& primitive, const memory::desc& user, int access, bool staged) {
  Layout layout{primitive, staged || primitive != user, {}, {}};
  if (layout.reorders && (access & kRead)) {
    layout.in = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), user, Engine(), primitive));
  }
  if (layout.reorders && (access & kWrite)) {
    layout.out = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), primitive, Engine(), user));
  }
  return layout;
}

std::string ImplementationOf(const dnnl::primitive& primitive) {
  const char* name = nullptr;
  dnnl_primitive_desc_query(primitive.get_primitive_desc(), dnnl_query_impl_info_str, 0, &name);
  return name == nullptr ? "" : name;
}

// A primitive, and the layouts it computes in. The activations live in NHWC, where the wasm backend keeps them; the
// direct algorithm computes there, and Winograd on reordered copies (see ConvolutionAlgorithm). The filter's layout
// is oneDNN's choice (format_tag::any), a blocked one that its AVX-512 kernels run 2-3x faster with than with
// [kh, kw, in, out] (ResNet18's first stage at batch 128: 97 -> 268 GFLOP/s forward). A filter is small next to the
// activations, so reordering it on every call costs little in training.
//
// Only where both channel counts are multiples of 16, the AVX-512 block: with other counts oneDNN 2.6's blocked
// kernels corrupted the process heap (a 1x1 stride-2 convolution of 4 channels, about one run in three under
// MALLOC_CHECK_=3; none in 24 runs at 16 and 32 channels). Those convolutions (tests' small ones) keep
// [kh, kw, in, out] and oneDNN's GEMM kernels. The one exception is a stem: 3 input channels (RGB) under a filter
// wider than 1x1 into a multiple of 16, as PyTorch runs it (brgconv forward, jit gradients; 3x3 at batch 32, in ms:
// forward 2.4 -> 0.7, input gradient 6.3 -> 3.4, filter gradient 4.8 -> 1.0; clean in 3 runs of the convolution
// tests under MALLOC_CHECK_=3).
struct Convolution {
  Descriptors descriptors;
  dnnl::primitive primitive;
  Layout filter, source, destination;
  bool winograd = false;
  bool gemm = false;  // no primitive: im2col and sgemm (see PrefersGemm)
  std::string implementation;  // oneDNN's name for the kernel, e.g. "jit_wino_4x3:avx512_core"
};

// The descriptors a primitive is asked for: activations in NHWC for the direct algorithm, oneDNN's choice for
// Winograd; the filter blocked where the channel counts allow (see Convolution).
Descriptors Requested(const Descriptors& d, dnnl::algorithm algorithm) {
  const memory::dims filterDims = d.weights.dims();
  Descriptors requested = d;
  // oc, ic, kh, kw
  const bool rgbStem = filterDims[1] == 3 && filterDims[2] > 1 && filterDims[3] > 1;
  if (filterDims[0] % 16 == 0 && (filterDims[1] % 16 == 0 || rgbStem)) {
    requested.weights = memory::desc(filterDims, memory::data_type::f32, Tag::any);
  }
  if (algorithm == dnnl::algorithm::convolution_winograd) {
    requested.source = memory::desc(d.source.dims(), memory::data_type::f32, Tag::any);
    requested.destination = memory::desc(d.destination.dims(), memory::data_type::f32, Tag::any);
  }
  return requested;
}

Convolution CreateWith(Direction direction, const Geometry& g, dnnl::algorithm algorithm) {
  const Descriptors d = Describe(g);
  const Descriptors r = Requested(d, algorithm);
  const dnnl::convolution_forward::primitive_desc hint(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algorithm, r.source, r.weights, r.destination,
                                      d.strides, d.padLeft, d.padRight),
      Engine());
  Convolution convolution;
  convolution.descriptors = d;
  memory::desc filter, source, destination;
  switch (direction) {
    case Direction::kForward:
      convolution.primitive = dnnl::convolution_forward(hint);
      filter = hint.weights_desc();
      source = hint.src_desc();
      destination = hint.dst_desc();
      break;
    case Direction::kInputGradient: {
      dnnl::convolution_backward_data::primitive_desc pd(
          dnnl::convolution_backward_data::desc(algorithm, r.source, r.weights, r.destination, d.strides, d.padLeft,
                                                d.padRight),
          Engine(), hint);
      convolution.primitive = dnnl::convolution_backward_data(pd);
      filter = pd.weights_desc();
      source = pd.diff_src_desc();
      destination = pd.diff_dst_desc();
      break;
    }
    case Direction::kFilterGradient: {
      dnnl::convolution_backward_weights::primitive_desc pd(
          dnnl::convolution_backward_weights::desc(algorithm, r.source, r.weights, r.destination, d.strides,
                                                   d.padLeft, d.padRight),
          Engine(), hint);
      convolution.primitive = dnnl::convolution_backward_weights(pd);
      filter = pd.diff_weights_desc();
      source = pd.src_desc();
      destination = pd.diff_dst_desc();
      break;
    }
  }
  const bool forward = direction == Direction::kForward;
  const bool winograd = algorithm == dnnl::algorithm::convolution_winograd;
  convolution.winograd = winograd;
  convolution.filter =
      LayoutOf(filter, d.weights, direction == Direction::kFilterGradient ? kWrite : kRead, winograd);
  convolution.source =
      LayoutOf(source, d.source, direction == Direction::kInputGradient ? kWrite : kRead, winograd);
  convolution.destination = LayoutOf(destination, d.destination, forward ? kWrite : kRead, winograd);
  convolution.implementation = ImplementationOf(convolution.primitive);
  return convolution;
}

// Winograd where PrefersWinograd says so and oneDNN has it for this geometry, else the direct algorithm.
template <typename CreateFor>
Convolution WithPreferredAlgorithm(const Geometry& g, CreateFor create) {
  if (PrefersWinograd(g)) {
    try {
      return create(dnnl::algorithm::convolution_winograd);
    } catch (const dnnl::error&) {
      // No Winograd implementation for this geometry: the direct algorithm has one for every geometry.
    }
  }
  return create(dnnl::algorithm::convolution_direct);
}

// Training convolutions that oneDNN 2.6's direct kernels compute slowly and one matrix product faster: 3x3
// convolutions with a stride and few output pixels, whose many filter values are each reused little. ResNet18 at
// batch 32 (2 threads, AVX-512), ms in a training step by tf.profile, forward / input gradient / filter gradient, by
// oneDNN's kernels against im2col + sgemm (2026-12-02):
//   256 -> 512 channels, 8x8 -> 4x4:   8.0 / 7.0 / 7.8  against  5.8 / 5.9 / 4.9
//   128 -> 256 channels, 16x16 -> 8x8: 8.0 / 6.4 / 5.9  against  5.8 / 5.8 / 6.0
// At 32x32 -> 16x16 (64 -> 128 channels) oneDNN's are as fast or faster (a standalone benchmark: 4.6 / 5.5 / 6.0
// against 5.4 / 5.8 / 6.6 ms), and so are its 1x1 stride-2 kernels in a training step. So: 3x3 with a stride, at most
// kGemmMaximumOutputPixels output pixels an image, channel counts multiples of 16 (the blocked kernels' own
// condition), under kAuto only.
constexpr int64_t kGemmMaximumOutputPixels = 64;

bool PrefersGemm(const Geometry& g) {
  const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
  return gAlgorithm == ConvolutionAlgorithm::kAuto && kh == 3 && kw == 3 && (sh > 1 || sw > 1) && ic % 16 == 0 &&
         oc % 16 == 0 && oh * ow <= kGemmMaximumOutputPixels;
}

Convolution Create(Direction direction, const Geometry& g) {
  if (PrefersGemm(g)) {
    Convolution convolution;
    convolution.descriptors = Describe(g);
    convolution.gemm = true;
    convolution.implementation = "gemm:im2col";
    return convolution;
  }
  return WithPreferredAlgorithm(g, [&](dnnl::algorithm algorithm) { return CreateWith(direction, g, algorithm); });
}

// What an inference convolution adds to its output, in this order, as bits of `flags`: a per-channel bias, a residual
// (a tensor of the output's shape), then a ReLU (an eltwise post-op). All in the pass that writes the output, where
// tfjs would make one pass for each.
//
// The residual is copied into the destination and added there by a sum post-op. oneDNN 2.6's binary post-op, which
// would read it in place, is wrong in its GEMM convolution (channel counts off the 16-block: up to 14% off, relative
// to the largest value, on a 4-channel 3x3 convolution) and moves the blocked ones off brgconv onto slower kernels.
//
// kPackedWeights: the weights are already in the primitive's filter layout (packFilter's output), so the reorder that
// otherwise runs on every call is skipped; at batch 1 that reorder took longer than the convolution (ResNet18, 32x32:
// 12 of 20 ms). It does not change the primitive.
enum InferenceFlag { kBias = 1, kResidual = 2, kRelu = 4, kPackedWeights = 8 };
constexpr int kInferenceFlags = 16;
constexpr const char* kInferenceFlagsError =
    "flags must be an integer from 0 to 15: 1 bias, 2 residual, 4 ReLU, 8 packed weights";
constexpr int kPrimitiveFlags = kBias | kResidual | kRelu;
// Cache keys of inference convolutions follow the three directions'.
constexpr int kInferenceKey = 3;

Convolution CreateInferenceWith(const Geometry& g, int flags, dnnl::algorithm algorithm) {
  const Descriptors d = Describe(g);
  const Descriptors r = Requested(d, algorithm);
  dnnl::post_ops postOps;
  if (flags & kResidual) postOps.append_sum(1.0f);
  if (flags & kRelu) postOps.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  dnnl::primitive_attr attributes;
  attributes.set_post_ops(postOps);
  const auto prop = dnnl::prop_kind::forward_inference;
  const memory::desc bias({d.destination.dims()[1]}, memory::data_type::f32, Tag::a);
  const auto description =
      (flags & kBias) ? dnnl::convolution_forward::desc(prop, algorithm, r.source, r.weights, bias, r.destination,
                                                        d.strides, d.padLeft, d.padRight)
                      : dnnl::convolution_forward::desc(prop, algorithm, r.source, r.weights, r.destination, d.strides,
                                                        d.padLeft, d.padRight);
  const dnnl::convolution_forward::primitive_desc pd(description, attributes, Engine());
  Convolution convolution;
  convolution.descriptors = d;
  convolution.primitive = dnnl::convolution_forward(pd);
  const bool winograd = algorithm == dnnl::algorithm::convolution_winograd;
  convolution.winograd = winograd;
  convolution.filter = LayoutOf(pd.weights_desc(), d.weights, kRead, winograd);
  convolution.source = LayoutOf(pd.src_desc(), d.source, kRead, winograd);
  // Written, and read where a residual is summed into it.
  convolution.destination = LayoutOf(pd.dst_desc(), d.destination, kRead | kWrite, winograd);
  convolution.implementation = ImplementationOf(convolution.primitive);
  return convolution;
}

LruCache<std::pair<int, Geometry>, Convolution>& Convolutions() {
  static LruCache<std::pair<int, Geometry>, Convolution> cache(kCacheCapacity);
  return cache;
}

Convolution& CachedInference(const Geometry& g, int flags) {
  const int primitiveFlags = flags & kPrimitiveFlags;
  return Convolutions().GetOrCreate(std::make_pair(kInferenceKey + primitiveFlags, g), [&] {
    return WithPreferredAlgorithm(
        g, [&](dnnl::algorithm algorithm) { return CreateInferenceWith(g, primitiveFlags, algorithm); });
  });
}

Convolution& Cached(Direction direction, const Geometry& g) {
  return Convolutions().GetOrCreate(std::make_pair(static_cast<int>(direction), g),
                                    [&] { return Create(direction, g); });
}

// Buffers for tensors in a primitive's layout: the filter, and the activations Winograd reorders. One buffer per role
// serves every call: calls run one at a time, on the JS thread.
//
// Aligned to kAlignment bytes: oneDNN 2.6's Winograd kernels load and store with aligned AVX-512 instructions and
// fault on anything less (its filter gradient crashed the process on a 16-byte aligned buffer), while the wasm heap
// and V8's array buffers promise less. So every tensor a Winograd primitive touches is staged here.
constexpr size_t kAlignment = 64;

enum class Scratch { kFilter = 0, kSource = 1, kDestination = 2 };

struct FreeAligned {
  void operator()(float* data) const { std::free(data); }
};
using AlignedFloats = std::unique_ptr<float, FreeAligned>;

AlignedFloats AllocateAligned(size_t bytes) {
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  AlignedFloats data(static_cast<float*>(std::aligned_alloc(kAlignment, rounded)));
  if (!data) throw std::bad_alloc();
  return data;
}

float* ScratchBuffer(Scratch role, size_t bytes) {
  static std::array<AlignedFloats, 3> buffers;
  static std::array<size_t, 3> capacities{};
  const size_t index = static_cast<size_t>(role);
  if (capacities[index] < bytes) {
    capacities[index] = 0;
    buffers[index] = AllocateAligned(bytes);
    capacities[index] = bytes;
  }
  return buffers[index].get();
}

// Inputs kept in a primitive's layout for a later call that reads the same tensor, which the caller names by a token
// (a number per TensorFlow.js tensor, whose values never change; 0 for none). In a training step the input and the
// filter reordered for Winograd's forward pass serve its filter and input gradients, and the output gradient reordered
// for the input gradient serves the filter gradient right after it: ResNet18 at batch 32 reordered 41 ms of filters
// and 60 of activations a step. At most kStagedEntries copies of at most kStagedBytes in all are kept, the least
// recently used dropped first: a large network keeps what fits, and a small one's copies of past steps, which no call
// reads again, do not pile up (ResNet18 stages 39 a step; the copy read last, its first filter, is 38 copies old).
// Where the wasm backend disposes a tensor, its copies are dropped at once (releaseStaged).
constexpr size_t kStagedBytes = size_t{256} << 20;
constexpr size_t kStagedEntries = 128;

struct StagedTensor {
  double token;
  memory::desc desc;
  AlignedFloats data;
};

// The memory of copies no longer kept, evicted or released (releaseStaged: their tensor was disposed), is kept for
// new copies of the same size, within the same kStagedBytes as the copies (the largest spare freed first). Each
// training step stages the same sizes again, so after the first step almost every new copy finds the memory of one
// from the step before. Freed and allocated anew instead, it came back as fresh pages from the kernel: ResNet18 at
// batch 32 took 7,000-16,000 page faults a step for steps 3 to 6, and 11,000 every few steps after, each such step
// 20-40 ms slower than those with about 110.
struct StagedTensors {
  std::list<StagedTensor> entries;  // most recently used first
  size_t bytes = 0;
  uint64_t hits = 0;
  std::multimap<size_t, AlignedFloats> spare;  // dropped copies' memory by size in bytes
  size_t spareBytes = 0;
  uint64_t allocations = 0;  // copies that found no spare memory
};

StagedTensors& Staged() {
  static StagedTensors staged;
  return staged;
}

// Frees the largest spare memory while the copies, the spare memory and `more` bytes take more than kStagedBytes.
void TrimSpare(StagedTensors& staged, size_t more) {
  while (!staged.spare.empty() && staged.bytes + staged.spareBytes + more > kStagedBytes) {
    const auto largest = std::prev(staged.spare.end());
    staged.spareBytes -= largest->first;
    staged.spare.erase(largest);
  }
}

// Drops a kept copy, its memory to the spare.
void Unstage(StagedTensors& staged, std::list<StagedTensor>::iterator entry) {
  const size_t size = entry->desc.get_size();
  staged.bytes -= size;
  staged.spare.emplace(size, std::move(entry->data));
  staged.spareBytes += size;
  staged.entries.erase(entry);
}

// The input `user` in `layout` for the primitive to read: `user` itself where the layouts match, else a reordered
// copy, kept under `token` (see StagedTensors) or, for token 0, in the role's scratch buffer.
memory StageIn(dnnl::stream& stream, const Layout& layout, memory& user, double token, Scratch role) {
  if (!layout.reorders) return user;
  const size_t bytes = layout.desc.get_size();
  if (token == 0 || bytes > kStagedBytes) {
    memory scratch(layout.desc, Engine(), ScratchBuffer(role, bytes));
    layout.in.execute(stream, user, scratch);
    return scratch;
  }
  StagedTensors& staged = Staged();
  for (auto entry = staged.entries.begin(); entry != staged.entries.end(); ++entry) {
    if (entry->token == token && entry->desc == layout.desc) {
      staged.entries.splice(staged.entries.begin(), staged.entries, entry);
      ++staged.hits;
      return memory(layout.desc, Engine(), staged.entries.front().data.get());
    }
  }
  while (!staged.entries.empty() &&
         (staged.entries.size() >= kStagedEntries || staged.bytes + bytes > kStagedBytes)) {
    Unstage(staged, std::prev(staged.entries.end()));
  }
  // A dropped copy's memory of this size, else new memory (see StagedTensors).
  AlignedFloats data;
  const auto spare = staged.spare.find(bytes);
  if (spare != staged.spare.end()) {
    data = std::move(spare->second);
    staged.spare.erase(spare);
    staged.spareBytes -= bytes;
  } else {
    TrimSpare(staged, bytes);
    data = AllocateAligned(bytes);
    ++staged.allocations;
  }
  staged.entries.push_front({token, layout.desc, std::move(data)});
  staged.bytes += bytes;
  memory copy(layout.desc, Engine(), staged.entries.front().data.get());
  layout.in.execute(stream, user, copy);
  return copy;
}

bool Aligned(const void* data) { return reinterpret_cast<uintptr_t>(data) % kAlignment == 0; }

// `user` itself where the primitive computes in the caller's layout, else a scratch buffer in the primitive's.
memory InPrimitiveLayout(const Layout& layout, const memory& user, Scratch role) {
  return layout.reorders ? memory(layout.desc, Engine(), ScratchBuffer(role, layout.desc.get_size())) : user;
}

// Reorders an output back into the caller's layout, where the layouts differ.
void ReorderOut(dnnl::stream& stream, const Layout& layout, memory& staged, memory& user) {
  if (layout.reorders) layout.out.execute(stream, staged, user);
}

struct FloatArray {
  float* data;
  size_t length;
};

bool Throw(napi_env env, const std::string& message) {
  napi_throw_error(env, "ERR_ONEDNN", message.c_str());
  return false;
}

// ReadFloatArray's `expected` for an array of any length.
constexpr size_t kAnyLength = SIZE_MAX;

bool ReadFloatArray(napi_env env, napi_value value, const char* name, size_t expected, FloatArray* out) {
  bool isTypedArray = false;
  napi_is_typedarray(env, value, &isTypedArray);
  if (!isTypedArray) return Throw(env, std::string(name) + " must be a Float32Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr);
  if (type != napi_float32_array) return Throw(env, std::string(name) + " must be a Float32Array");
  if (expected != kAnyLength && length != expected) {
    return Throw(env, std::string(name) + " has " + std::to_string(length) + " elements, expected " +
                          std::to_string(expected));
  }
  *out = {static_cast<float*>(data), length};
  return true;
}

// Whether `value` is an Int32Array, and if so its values and their count.
bool Int32ArrayOf(napi_env env, napi_value value, const int32_t** values, size_t* length) {
  bool isTypedArray = false;
  napi_is_typedarray(env, value, &isTypedArray);
  napi_typedarray_type type;
  void* data = nullptr;
  *length = 0;
  if (isTypedArray) napi_get_typedarray_info(env, value, &type, length, &data, nullptr, nullptr);
  *values = static_cast<const int32_t*>(data);
  return isTypedArray && type == napi_int32_array;
}

// Reads an Int32Array of exactly `count` values into `out`.
bool ReadInt32Values(napi_env env, napi_value value, const char* name, size_t count, int64_t* out) {
  const int32_t* values = nullptr;
  size_t length = 0;
  if (!Int32ArrayOf(env, value, &values, &length) || length != count) {
    return Throw(env, std::string(name) + " must be an Int32Array of " + std::to_string(count) + " values");
  }
  for (size_t i = 0; i < count; ++i) out[i] = values[i];
  return true;
}

// Reads exactly `count` arguments into `argv`; `usage` names them for the error.
bool ReadExactArguments(napi_env env, napi_callback_info info, size_t count, const char* usage, napi_value* argv) {
  size_t argc = count;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != count) return Throw(env, std::string(usage) + " takes " + std::to_string(count) + " arguments");
  return true;
}

// Reads exactly `count` arguments, the first an integer from 0 to `choices` - 1 (which operation), into `argv` and
// `choice`; `usage` names them for the error.
bool ReadArguments(napi_env env, napi_callback_info info, size_t count, const char* usage, int32_t choices,
                   const char* choiceError, napi_value* argv, int32_t* choice, size_t choiceIndex = 0) {
  if (!ReadExactArguments(env, info, count, usage, argv)) return false;
  *choice = -1;
  napi_get_value_int32(env, argv[choiceIndex], choice);
  if (*choice < 0 || *choice >= choices) return Throw(env, choiceError);
  return true;
}

// Runs `compute`, turning what oneDNN (or the standard library) throws into a JavaScript error.
template <typename Compute>
void Guarded(napi_env env, Compute compute) {
  try {
    compute();
  } catch (const dnnl::error& error) {
    Throw(env, std::string("oneDNN: ") + error.what());
  } catch (const std::exception& error) {
    Throw(env, error.what());
  }
}

// Reads a token (see StagedTensors): a non-negative integer, 0 for none.
bool ReadToken(napi_env env, napi_value value, const char* name, double* token) {
  if (napi_get_value_double(env, value, token) != napi_ok || !(*token >= 0) || *token != std::floor(*token)) {
    return Throw(env, std::string(name) + " must be a non-negative integer (0 for none)");
  }
  return true;
}

// im2col: for each output pixel (image, row, column), the input values under each filter position (kh, kw, in), 0
// where the filter lies over the padding. A [n * oh * ow, kh * kw * ic] matrix whose columns follow the rows of
// tfjs's [kh, kw, in, out] filter.
void Im2Col(const Geometry& g, const float* source, float* columns) {
  const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
  const int64_t width = kh * kw * ic;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t y = 0; y < oh; ++y) {
      for (int64_t x = 0; x < ow; ++x) {
        float* row = columns + ((b * oh + y) * ow + x) * width;
        for (int64_t i = 0; i < kh; ++i) {
          const int64_t sy = y * sh + i - pt;
          for (int64_t j = 0; j < kw; ++j) {
            const int64_t sx = x * sw + j - pl;
            float* to = row + (i * kw + j) * ic;
            if (sy < 0 || sy >= ih || sx < 0 || sx >= iw) {
              std::fill(to, to + ic, 0.0f);
            } else {
              std::copy_n(source + ((b * ih + sy) * iw + sx) * ic, ic, to);
            }
          }
        }
      }
    }
  }
}

// im2col's transpose: each input value is the sum of the matrix entries copied from it (0 where none were), in the
// same order on every run (one thread per image).
void Col2Im(const Geometry& g, const float* columns, float* source) {
  const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
  const int64_t width = kh * kw * ic;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < n; ++b) {
    float* image = source + b * ih * iw * ic;
    std::fill(image, image + ih * iw * ic, 0.0f);
    for (int64_t y = 0; y < oh; ++y) {
      for (int64_t x = 0; x < ow; ++x) {
        const float* row = columns + ((b * oh + y) * ow + x) * width;
        for (int64_t i = 0; i < kh; ++i) {
          const int64_t sy = y * sh + i - pt;
          if (sy < 0 || sy >= ih) continue;
          for (int64_t j = 0; j < kw; ++j) {
            const int64_t sx = x * sw + j - pl;
            if (sx < 0 || sx >= iw) continue;
            const float* from = row + (i * kw + j) * ic;
            float* to = image + (sy * iw + sx) * ic;
#pragma omp simd
            for (int64_t c = 0; c < ic; ++c) to[c] += from[c];
          }
        }
      }
    }
  }
}

// C = op(A) * op(B), row-major, by oneDNN's sgemm (its own threads).
void Sgemm(char transposeA, char transposeB, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc) {
  if (dnnl_sgemm(transposeA, transposeB, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc) != dnnl_success) {
    throw std::runtime_error("oneDNN's sgemm failed");
  }
}

// A convolution that PrefersGemm gives to one matrix product over im2col's matrix M ([pixels, kh * kw * ic], in the
// source role's scratch buffer) and the [kh * kw * ic, oc] filter W: output = M W, input gradient = col2im(dy W^T),
// filter gradient = M^T dy. The activations and the filter stay in tfjs's layouts: nothing is reordered.
void RunGemm(Direction direction, const Geometry& g, float* source, float* weights, float* destination) {
  const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
  const int64_t pixels = n * oh * ow, width = kh * kw * ic;
  float* columns = ScratchBuffer(Scratch::kSource, static_cast<size_t>(pixels * width) * sizeof(float));
  switch (direction) {
    case Direction::kForward:
      Im2Col(g, source, columns);
      Sgemm('N', 'N', pixels, oc, width, columns, width, weights, oc, destination, oc);
      break;
    case Direction::kInputGradient:
      Sgemm('N', 'T', pixels, width, oc, destination, oc, weights, oc, columns, width);
      Col2Im(g, columns, source);
      break;
    case Direction::kFilterGradient:
      Im2Col(g, source, columns);
      Sgemm('T', 'N', width, oc, pixels, columns, width, destination, oc, weights, oc);
      break;
  }
}

// run(direction, geometry, source, weights, destination, sourceToken, weightsToken, destinationToken): for the
// forward direction destination is written; for the input gradient source (dx) is written from destination (dy); for
// the filter gradient weights (dw) is written. The tokens name the source, the weights and the destination where they
// are read (see StagedTensors).
napi_value Run(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  int32_t directionValue;
  Geometry g;
  double sourceToken, weightsToken, destinationToken;
  if (!ReadArguments(env, info, 8,
                     "run(direction, geometry, source, weights, destination, sourceToken, weightsToken, "
                     "destinationToken)",
                     3, "direction must be 0 (forward), 1 (input gradient) or 2 (filter gradient)", argv,
                     &directionValue) ||
      !ReadInt32Values(env, argv[1], "geometry", kGeometrySize, g.data()) ||
      !ReadToken(env, argv[5], "sourceToken", &sourceToken) ||
      !ReadToken(env, argv[6], "weightsToken", &weightsToken) ||
      !ReadToken(env, argv[7], "destinationToken", &destinationToken)) {
    return nullptr;
  }
  const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
  FloatArray source, weights, destination;
  if (!ReadFloatArray(env, argv[2], "source", n * ih * iw * ic, &source) ||
      !ReadFloatArray(env, argv[3], "weights", kh * kw * ic * oc, &weights) ||
      !ReadFloatArray(env, argv[4], "destination", n * oh * ow * oc, &destination)) {
    return nullptr;
  }
  Guarded(env, [&] {
    const Direction direction = static_cast<Direction>(directionValue);
    Convolution& convolution = Cached(direction, g);
    if (convolution.gemm) {
      RunGemm(direction, g, source.data, weights.data, destination.data);
      return;
    }
    const Descriptors& d = convolution.descriptors;
    dnnl::engine& engine = Engine();
    dnnl::stream stream(engine);
    memory userSource(d.source, engine, source.data);
    memory userDestination(d.destination, engine, destination.data);
    memory userFilter(d.weights, engine, weights.data);
    // Only Winograd's forward pass and filter gradient read the input in the same layout, its forward pass and input
    // gradient the filter, and its two gradients the output gradient; the direct kernels' kept copies would go unused.
    const auto kept = [&](double token) { return convolution.winograd ? token : 0; };
    switch (direction) {
      case Direction::kForward: {
        memory sourceMemory = StageIn(stream, convolution.source, userSource, kept(sourceToken), Scratch::kSource);
        memory filter = StageIn(stream, convolution.filter, userFilter, kept(weightsToken), Scratch::kFilter);
        memory destinationMemory = InPrimitiveLayout(convolution.destination, userDestination, Scratch::kDestination);
        convolution.primitive.execute(
            stream, {{DNNL_ARG_SRC, sourceMemory}, {DNNL_ARG_WEIGHTS, filter}, {DNNL_ARG_DST, destinationMemory}});
        ReorderOut(stream, convolution.destination, destinationMemory, userDestination);
        break;
      }
      case Direction::kInputGradient: {
        memory destinationMemory =
            StageIn(stream, convolution.destination, userDestination, kept(destinationToken), Scratch::kDestination);
        memory filter = StageIn(stream, convolution.filter, userFilter, kept(weightsToken), Scratch::kFilter);
        memory sourceMemory = InPrimitiveLayout(convolution.source, userSource, Scratch::kSource);
        convolution.primitive.execute(stream, {{DNNL_ARG_DIFF_SRC, sourceMemory},
                                               {DNNL_ARG_WEIGHTS, filter},
                                               {DNNL_ARG_DIFF_DST, destinationMemory}});
        ReorderOut(stream, convolution.source, sourceMemory, userSource);
        break;
      }
      case Direction::kFilterGradient: {
        memory sourceMemory = StageIn(stream, convolution.source, userSource, kept(sourceToken), Scratch::kSource);
        memory destinationMemory =
            StageIn(stream, convolution.destination, userDestination, kept(destinationToken), Scratch::kDestination);
        memory filter = InPrimitiveLayout(convolution.filter, userFilter, Scratch::kFilter);
        convolution.primitive.execute(stream, {{DNNL_ARG_SRC, sourceMemory},
                                               {DNNL_ARG_DIFF_WEIGHTS, filter},
                                               {DNNL_ARG_DIFF_DST, destinationMemory}});
        ReorderOut(stream, convolution.filter, filter, userFilter);
        break;
      }
    }
    stream.wait();
  });
  return nullptr;
}

// Reads `value` into `out` unless it is null, which `present` says it must be; `expected` elements.
bool ReadOptionalFloatArray(napi_env env, napi_value value, const char* name, bool present, size_t expected,
                            FloatArray* out) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (!present) {
    if (type != napi_null) return Throw(env, std::string(name) + " must be null where flags leave it out");
    *out = {nullptr, 0};
    return true;
  }
  return ReadFloatArray(env, value, name, expected, out);
}

// An inference convolution of `source` into `destination` (both NHWC), its filter already in the primitive's layout:
// plus `bias` and the residual (NHWC, the destination's shape; it may be the destination itself) where `flags` have
// them, then ReLU if flagged. Queued on `stream`; the caller waits.
void ExecuteInference(dnnl::stream& stream, Convolution& convolution, int flags, float* source, float* filter,
                      float* bias, float* residual, float* destination) {
  const Descriptors& d = convolution.descriptors;
  dnnl::engine& engine = Engine();
  memory userSource(d.source, engine, source);
  memory userDestination(d.destination, engine, destination);
  memory sourceMemory = StageIn(stream, convolution.source, userSource, 0, Scratch::kSource);
  memory destinationMemory = InPrimitiveLayout(convolution.destination, userDestination, Scratch::kDestination);
  std::unordered_map<int, memory> arguments{{DNNL_ARG_SRC, sourceMemory},
                                            {DNNL_ARG_WEIGHTS, memory(convolution.filter.desc, engine, filter)},
                                            {DNNL_ARG_DST, destinationMemory}};
  if (flags & kBias) {
    arguments.emplace(DNNL_ARG_BIAS, memory({{d.destination.dims()[1]}, memory::data_type::f32, Tag::a}, engine, bias));
  }
  if (flags & kResidual) {
    // The sum post-op adds what the destination holds.
    if (convolution.destination.reorders) {
      memory userResidual(d.destination, engine, residual);
      convolution.destination.in.execute(stream, userResidual, destinationMemory);
    } else if (residual != destination) {
      std::memcpy(destination, residual, d.destination.get_size());
    }
  }
  convolution.primitive.execute(stream, arguments);
  ReorderOut(stream, convolution.destination, destinationMemory, userDestination);
}

// infer(geometry, flags, source, weights, bias, residual, destination): destination = conv(source, weights), plus bias
// ([outChannels]) and residual (the destination's shape) where flags say so (null where not), then ReLU if flagged.
napi_value Infer(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  Geometry g;
  int32_t flags;
  if (!ReadArguments(env, info, 7, "infer(geometry, flags, source, weights, bias, residual, destination)",
                     kInferenceFlags, kInferenceFlagsError, argv, &flags, 1) ||
      !ReadInt32Values(env, argv[0], "geometry", kGeometrySize, g.data())) {
    return nullptr;
  }
  const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
  FloatArray source, weights, bias, residual, destination;
  // Packed weights are checked against the primitive's layout below.
  if (!ReadFloatArray(env, argv[2], "source", n * ih * iw * ic, &source) ||
      !ReadFloatArray(env, argv[3], "weights", (flags & kPackedWeights) ? kAnyLength : kh * kw * ic * oc, &weights) ||
      !ReadOptionalFloatArray(env, argv[4], "bias", flags & kBias, oc, &bias) ||
      !ReadOptionalFloatArray(env, argv[5], "residual", flags & kResidual, n * oh * ow * oc, &residual) ||
      !ReadFloatArray(env, argv[6], "destination", n * oh * ow * oc, &destination)) {
    return nullptr;
  }
  Guarded(env, [&] {
    Convolution& convolution = CachedInference(g, flags);
    dnnl::engine& engine = Engine();
    dnnl::stream stream(engine);
    memory userFilter(convolution.descriptors.weights, engine, weights.data);
    const bool reorders = convolution.filter.reorders && !(flags & kPackedWeights);
    if ((flags & kPackedWeights) && convolution.filter.desc.get_size() != weights.length * sizeof(float)) {
      throw std::runtime_error("packed weights must have the primitive's filter size; pack them with packFilter");
    }
    const size_t filterBytes = convolution.filter.desc.get_size();
    // packFilter aligns what it packs; a copy where packed weights come otherwise (see ScratchBuffer).
    const bool copies = !reorders && convolution.winograd && !Aligned(weights.data);
    memory filter(convolution.filter.desc, engine,
                  reorders || copies ? ScratchBuffer(Scratch::kFilter, filterBytes) : weights.data);
    if (reorders) convolution.filter.in.execute(stream, userFilter, filter);
    if (copies) std::memcpy(filter.get_data_handle(), weights.data, filterBytes);
    ExecuteInference(stream, convolution, flags, source.data, static_cast<float*>(filter.get_data_handle()), bias.data,
                     residual.data, destination.data);
    stream.wait();
  });
  return nullptr;
}

// packFilter(geometry, flags, weights): `weights` ([kh, kw, in, out]) in the layout of infer's primitive for this
// geometry and these flags (which may pad them), a new Float32Array for calls with kPackedWeights; null where that
// layout is [kh, kw, in, out] itself, so the weights can be passed as they are.
napi_value PackFilter(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Geometry g;
  int32_t flags;
  if (!ReadArguments(env, info, 3, "packFilter(geometry, flags, weights)", kInferenceFlags, kInferenceFlagsError, argv,
                     &flags, 1) ||
      !ReadInt32Values(env, argv[0], "geometry", kGeometrySize, g.data())) {
    return nullptr;
  }
  const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
  FloatArray weights;
  if (!ReadFloatArray(env, argv[2], "weights", kh * kw * ic * oc, &weights)) return nullptr;
  napi_value result = nullptr;
  Guarded(env, [&] {
    Convolution& convolution = CachedInference(g, flags);
    if (!convolution.filter.reorders) {
      napi_get_null(env, &result);
      return;
    }
    const size_t bytes = convolution.filter.desc.get_size();
    // A view starting at the first aligned byte of a buffer with room for it (see ScratchBuffer).
    void* start = nullptr;
    napi_value buffer;
    if (napi_create_arraybuffer(env, bytes + kAlignment, &start, &buffer) != napi_ok) {
      throw std::runtime_error("could not allocate " + std::to_string(bytes) + " bytes for a packed filter");
    }
    const size_t offset = (kAlignment - reinterpret_cast<uintptr_t>(start) % kAlignment) % kAlignment;
    void* data = static_cast<char*>(start) + offset;
    if (napi_create_typedarray(env, napi_float32_array, bytes / sizeof(float), buffer, offset, &result) != napi_ok) {
      throw std::runtime_error("could not allocate " + std::to_string(bytes) + " bytes for a packed filter");
    }
    dnnl::engine& engine = Engine();
    dnnl::stream stream(engine);
    memory userFilter(convolution.descriptors.weights, engine, weights.data);
    memory filter(convolution.filter.desc, engine, data);
    convolution.filter.in.execute(stream, userFilter, filter);
    stream.wait();
  });
  return result;
}

// Reads a JavaScript array of `count` entries (kAnyLength: any count) into `out`, one napi_value each.
bool ReadArray(napi_env env, napi_value value, const char* name, size_t count, std::vector<napi_value>* out) {
  bool isArray = false;
  napi_is_array(env, value, &isArray);
  uint32_t length = 0;
  if (isArray) napi_get_array_length(env, value, &length);
  if (!isArray || (count != kAnyLength && length != count)) {
    return Throw(env, std::string(name) + " must be an array" +
                          (count != kAnyLength ? " of " + std::to_string(count) + " entries" : std::string()));
  }
  out->resize(length);
  for (uint32_t i = 0; i < length; ++i) napi_get_element(env, value, i, &(*out)[i]);
  return true;
}

bool IsNull(napi_env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  return type == napi_null;
}

// A whole network's inference in one call: createNetwork takes its convolutions (batch norms folded in) and max
// pools in order, each reading and writing numbered values (value 0 the images), and its head (a global average pool
// and a linear layer); runNetwork computes a batch's logits. Between layers nothing returns to JavaScript: no tfjs
// dispatch, no tensor allocated on the wasm heap, every filter packed once in its primitive's layout. What that pays
// is at batch 1, a prediction: ResNet18 at 32x32 (2026-12-02, two runs each, p50 of 300) took 4.4 and 4.5 ms a forward
// pass as tfjs's fused convolutions and 3.5 and 3.7 as one network (p90 7.6-8.4 against 3.8-3.9); 6.5-6.7 against
// 5.4-6.0 with libgomp's threads sleeping at once (GOMP_SPINCOUNT=0; see loadAddon in onednn-kernels.ts). At batch
// 32 and 128 the two are within the noise of each other.
//
// Activations stay NHWC, as the inference convolutions take them (Winograd's reordered through its scratch buffers
// as for infer), in aligned buffers of the network's own, reused once a value's last reader has run. A block's last
// convolution writes into its residual's buffer where nothing reads the residual after it, so the sum post-op adds it
// in place.
enum class NetworkOpKind { kConvolution = 0, kMaxPool = 1 };
// Per op in createNetwork's `ops`: kind, flags, input, residual (-1 for none). Op i writes value i + 1.
constexpr size_t kNetworkOpFields = 4;

struct NetworkOp {
  NetworkOpKind kind;
  Geometry geometry;  // its batch, geometry[0], set per run
  int flags;
  int input, residual;
  std::vector<float> weights, bias;  // [kh, kw, in, out] and [out]; empty for a max pool
  // The weights in each primitive layout they were run in (Winograd's at some batch sizes, the direct one's at others).
  std::vector<std::pair<memory::desc, AlignedFloats>> packed;
};

// [height, width, channels] of a value.
using ValueShape = std::array<int64_t, 3>;

// Buffers and pooling primitives for one batch size.
struct NetworkPlan {
  std::vector<AlignedFloats> buffers;
  std::vector<size_t> bufferOf;  // per value
  std::vector<dnnl::pooling_forward> pools;  // per op, empty for a convolution
};

// The batch sizes whose plans a network keeps: prediction's and evaluation's, and evaluation's last partial batch.
constexpr size_t kNetworkPlans = 3;

struct Network {
  std::vector<NetworkOp> ops;
  std::vector<ValueShape> shapes;  // per value: the images', then each op's output's
  std::vector<size_t> lastReader;  // per value: the last op that reads it (ops.size() for the head's input)
  std::vector<float> linearWeights, linearBias;  // [inFeatures, classes], [classes]
  LruCache<int64_t, NetworkPlan> plans{kNetworkPlans};
};

Geometry AtBatch(const NetworkOp& op, int64_t batch) {
  Geometry g = op.geometry;
  g[0] = batch;
  return g;
}

size_t ValueElements(const ValueShape& shape, int64_t batch) {
  return static_cast<size_t>(batch * shape[0] * shape[1] * shape[2]);
}

NetworkPlan PlanNetwork(const Network& network, int64_t batch) {
  NetworkPlan plan;
  std::vector<size_t> capacities;
  std::vector<size_t> free;
  plan.bufferOf.assign(network.shapes.size(), SIZE_MAX);
  // The free buffer that fits `elements` most tightly, else a new one.
  const auto take = [&](size_t elements) {
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < free.size(); ++i) {
      if (capacities[free[i]] >= elements && (best == SIZE_MAX || capacities[free[i]] < capacities[free[best]])) {
        best = i;
      }
    }
    if (best != SIZE_MAX) {
      const size_t buffer = free[best];
      free.erase(free.begin() + static_cast<std::ptrdiff_t>(best));
      return buffer;
    }
    plan.buffers.push_back(AllocateAligned(elements * sizeof(float)));
    capacities.push_back(elements);
    return plan.buffers.size() - 1;
  };
  plan.bufferOf[0] = take(ValueElements(network.shapes[0], batch));
  plan.pools.resize(network.ops.size());
  for (size_t i = 0; i < network.ops.size(); ++i) {
    const NetworkOp& op = network.ops[i];
    const size_t output = i + 1;
    const bool inPlace = op.residual >= 0 && op.residual != op.input && network.lastReader[op.residual] == i;
    plan.bufferOf[output] = inPlace ? plan.bufferOf[op.residual] : take(ValueElements(network.shapes[output], batch));
    if (network.lastReader[op.input] == i) free.push_back(plan.bufferOf[op.input]);
    if (op.residual >= 0 && op.residual != op.input && !inPlace && network.lastReader[op.residual] == i) {
      free.push_back(plan.bufferOf[op.residual]);
    }
    if (op.kind == NetworkOpKind::kMaxPool) {
      const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = AtBatch(op, batch);
      // Padding is left out of each window's maximum; what a pool follows is a ReLU's output (at least 0), so the
      // maxima are the zero-padded ones the layers model computes.
      plan.pools[i] = dnnl::pooling_forward(dnnl::pooling_forward::primitive_desc(
          dnnl::pooling_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max,
                                      memory::desc({n, ic, ih, iw}, memory::data_type::f32, Tag::nhwc),
                                      memory::desc({n, oc, oh, ow}, memory::data_type::f32, Tag::nhwc), {sh, sw},
                                      {kh, kw}, {pt, pl}, {pb, pr}),
          Engine()));
    }
  }
  return plan;
}

// `op`'s weights in `convolution`'s filter layout, packed (and kept) on first use.
float* PackedWeights(NetworkOp& op, const Convolution& convolution, dnnl::stream& stream) {
  for (auto& [desc, data] : op.packed) {
    if (desc == convolution.filter.desc) return data.get();
  }
  const size_t bytes = convolution.filter.desc.get_size();
  AlignedFloats data = AllocateAligned(bytes);
  if (convolution.filter.reorders) {
    memory user(convolution.descriptors.weights, Engine(), op.weights.data());
    memory packed(convolution.filter.desc, Engine(), data.get());
    convolution.filter.in.execute(stream, user, packed);
    stream.wait();
  } else {
    std::memcpy(data.get(), op.weights.data(), bytes);
  }
  op.packed.emplace_back(convolution.filter.desc, std::move(data));
  return op.packed.back().second.get();
}

// The head: each image's channels averaged over its height and width, then the linear layer.
void NetworkHead(const Network& network, int64_t batch, const float* features, float* logits) {
  const auto [height, width, channels] = network.shapes.back();
  const size_t classes = network.linearBias.size();
  const size_t pixels = static_cast<size_t>(height * width);
  std::vector<float> means(static_cast<size_t>(channels));
  for (int64_t b = 0; b < batch; ++b) {
    const float* image = features + static_cast<size_t>(b) * pixels * channels;
    std::fill(means.begin(), means.end(), 0.0f);
    for (size_t p = 0; p < pixels; ++p) {
      for (int64_t c = 0; c < channels; ++c) means[c] += image[p * channels + c];
    }
    float* out = logits + static_cast<size_t>(b) * classes;
    for (size_t k = 0; k < classes; ++k) out[k] = network.linearBias[k];
    for (int64_t c = 0; c < channels; ++c) {
      const float mean = means[c] / static_cast<float>(pixels);
      const float* row = network.linearWeights.data() + static_cast<size_t>(c) * classes;
      for (size_t k = 0; k < classes; ++k) out[k] += mean * row[k];
    }
  }
}

void RunNetwork(Network& network, int64_t batch, const float* images, float* logits) {
  NetworkPlan& plan = network.plans.GetOrCreate(batch, [&] { return PlanNetwork(network, batch); });
  const auto buffer = [&](int value) { return plan.buffers[plan.bufferOf[value]].get(); };
  std::memcpy(buffer(0), images, ValueElements(network.shapes[0], batch) * sizeof(float));
  dnnl::engine& engine = Engine();
  dnnl::stream stream(engine);
  for (size_t i = 0; i < network.ops.size(); ++i) {
    NetworkOp& op = network.ops[i];
    const Geometry g = AtBatch(op, batch);
    if (op.kind == NetworkOpKind::kMaxPool) {
      const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
      memory source({{n, ic, ih, iw}, memory::data_type::f32, Tag::nhwc}, engine, buffer(op.input));
      memory destination({{n, oc, oh, ow}, memory::data_type::f32, Tag::nhwc}, engine, buffer(i + 1));
      plan.pools[i].execute(stream, {{DNNL_ARG_SRC, source}, {DNNL_ARG_DST, destination}});
      continue;
    }
    Convolution& convolution = CachedInference(g, op.flags);
    float* filter = PackedWeights(op, convolution, stream);
    ExecuteInference(stream, convolution, op.flags, buffer(op.input), filter, op.bias.data(),
                     op.residual >= 0 ? buffer(op.residual) : nullptr, buffer(i + 1));
  }
  stream.wait();
  NetworkHead(network, batch, buffer(network.ops.size()), logits);
}

// Checks the ops' values and shapes as createNetwork reads them; the error names the op.
void CheckNetwork(const Network& network) {
  std::vector<bool> defined(network.ops.size() + 1, false);
  defined[0] = true;
  for (size_t i = 0; i < network.ops.size(); ++i) {
    const NetworkOp& op = network.ops[i];
    const std::string name = "op " + std::to_string(i);
    const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = op.geometry;
    const auto readable = [&](int value) {
      return value >= 0 && static_cast<size_t>(value) < defined.size() && defined[value];
    };
    if (!readable(op.input)) throw std::invalid_argument(name + " reads value " + std::to_string(op.input) + ", not yet written");
    if (network.shapes[op.input] != ValueShape{ih, iw, ic}) {
      throw std::invalid_argument(name + "'s geometry does not match the shape of value " + std::to_string(op.input));
    }
    if ((op.residual >= 0) != ((op.flags & kResidual) != 0) || (op.residual >= 0 && !readable(op.residual))) {
      throw std::invalid_argument(name + " must read a written residual value exactly where its flags have one");
    }
    if (op.residual >= 0 && network.shapes[op.residual] != ValueShape{oh, ow, oc}) {
      throw std::invalid_argument(name + "'s residual does not have its output's shape");
    }
    if (op.kind == NetworkOpKind::kMaxPool && (ic != oc || op.flags != 0)) {
      throw std::invalid_argument(name + ", a max pool, must keep its channels and take no flags");
    }
    if (op.kind == NetworkOpKind::kConvolution &&
        (op.weights.size() != static_cast<size_t>(kh * kw * ic * oc) ||
         op.bias.size() != ((op.flags & kBias) ? static_cast<size_t>(oc) : 0))) {
      throw std::invalid_argument(name + "'s weights or bias do not have its geometry's sizes");
    }
    defined[i + 1] = true;
  }
  const ValueShape& features = network.shapes.back();
  if (network.linearBias.empty() || network.linearWeights.size() != features[2] * network.linearBias.size()) {
    throw std::invalid_argument("the linear layer's weights must be [channels of the last value, classes]");
  }
}

// createNetwork's result: a Network until freeNetwork (or garbage collection) frees it.
struct NetworkHandle {
  std::unique_ptr<Network> network;
};

// Tells networks from other externals.
constexpr napi_type_tag kNetworkTag = {0x7b1f3c2a9d4e4f10ULL, 0x8a6b5c4d3e2f1a09ULL};

bool CopyFloats(napi_env env, napi_value value, const char* name, std::vector<float>* out) {
  FloatArray array;
  if (!ReadFloatArray(env, value, name, kAnyLength, &array)) return false;
  out->assign(array.data, array.data + array.length);
  return true;
}

bool ReadNetworkOps(napi_env env, napi_value opsValue, napi_value geometries, napi_value weights, napi_value biases,
                    Network* network) {
  const int32_t* fields = nullptr;
  size_t length = 0;
  if (!Int32ArrayOf(env, opsValue, &fields, &length) || length == 0 || length % kNetworkOpFields != 0) {
    return Throw(env, "ops must be an Int32Array of 4 values per op: kind, flags, input, residual");
  }
  const size_t count = length / kNetworkOpFields;
  std::vector<int64_t> geometryValues(count * kGeometrySize);
  std::vector<napi_value> weightArrays, biasArrays;
  if (!ReadInt32Values(env, geometries, "geometries", count * kGeometrySize, geometryValues.data()) ||
      !ReadArray(env, weights, "weights", count, &weightArrays) || !ReadArray(env, biases, "biases", count, &biasArrays)) {
    return false;
  }
  for (size_t i = 0; i < count; ++i) {
    const int32_t* f = fields + i * kNetworkOpFields;
    if (f[0] != 0 && f[0] != 1) return Throw(env, "an op's kind must be 0 (convolution) or 1 (max pool)");
    if (f[1] < 0 || f[1] >= kInferenceFlags || (f[1] & kPackedWeights)) {
      return Throw(env, "an op's flags must be an integer from 0 to 7: 1 bias, 2 residual, 4 ReLU");
    }
    NetworkOp op{static_cast<NetworkOpKind>(f[0]), {}, f[1], f[2], f[3], {}, {}, {}};
    std::copy_n(geometryValues.begin() + static_cast<std::ptrdiff_t>(i * kGeometrySize), kGeometrySize,
                op.geometry.begin());
    if (op.kind == NetworkOpKind::kConvolution &&
        (!CopyFloats(env, weightArrays[i], "weights", &op.weights) ||
         ((op.flags & kBias) && !CopyFloats(env, biasArrays[i], "biases", &op.bias)))) {
      return false;
    }
    const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = op.geometry;
    if (std::min({ih, iw, ic, oh, ow, oc, kh, kw, sh, sw}) < 1) {
      return Throw(env, "op " + std::to_string(i) + "'s geometry must have positive sizes and strides");
    }
    network->shapes.push_back({oh, ow, oc});
    network->ops.push_back(std::move(op));
  }
  return true;
}

// createNetwork(inputShape, ops, geometries, weights, biases, linearWeights, linearBias): a network (see Network) of
// [height, width, channels] images. ops: an Int32Array of kNetworkOpFields per op (kind 0 a convolution, 1 a max
// pool; flags InferenceFlag's bias, residual and ReLU; input and residual the values read, -1 for no residual; op i
// writes value i + 1); geometries: an Int32Array of each op's geometry as infer takes it (its batch
// ignored); weights and biases: per op, a Float32Array ([kh, kw, in, out] and [out]) or null for a max pool and a
// left-out bias; the linear layer's [channels, classes] and [classes].
napi_value CreateNetwork(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!ReadExactArguments(env, info, 7,
                          "createNetwork(inputShape, ops, geometries, weights, biases, linearWeights, linearBias)",
                          argv)) {
    return nullptr;
  }
  auto network = std::make_unique<Network>();
  ValueShape inputShape;
  if (!ReadInt32Values(env, argv[0], "inputShape", 3, inputShape.data())) return nullptr;
  network->shapes.push_back(inputShape);
  if (!ReadNetworkOps(env, argv[1], argv[2], argv[3], argv[4], network.get()) ||
      !CopyFloats(env, argv[5], "linearWeights", &network->linearWeights) ||
      !CopyFloats(env, argv[6], "linearBias", &network->linearBias)) {
    return nullptr;
  }
  napi_value result = nullptr;
  Guarded(env, [&] {
    CheckNetwork(*network);
    network->lastReader.assign(network->shapes.size(), 0);
    for (size_t i = 0; i < network->ops.size(); ++i) {
      const NetworkOp& op = network->ops[i];
      network->lastReader[op.input] = i;
      if (op.residual >= 0) network->lastReader[op.residual] = i;
    }
    network->lastReader.back() = network->ops.size();
    auto* handle = new NetworkHandle{std::move(network)};
    napi_create_external(
        env, handle, [](napi_env, void* data, void*) { delete static_cast<NetworkHandle*>(data); }, nullptr, &result);
    napi_type_tag_object(env, result, &kNetworkTag);
  });
  return result;
}

bool ReadNetwork(napi_env env, napi_value value, NetworkHandle** handle) {
  bool tagged = false;
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_external) napi_check_object_type_tag(env, value, &kNetworkTag, &tagged);
  if (!tagged) return Throw(env, "network must be what createNetwork returned");
  void* data = nullptr;
  napi_get_value_external(env, value, &data);
  *handle = static_cast<NetworkHandle*>(data);
  return true;
}

// runNetwork(network, batch, images, logits): writes the [batch, classes] logits of the [batch, height, width,
// channels] images.
napi_value RunNetworkCall(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  NetworkHandle* handle = nullptr;
  int32_t batch = 0;
  if (!ReadExactArguments(env, info, 4, "runNetwork(network, batch, images, logits)", argv) ||
      !ReadNetwork(env, argv[0], &handle)) {
    return nullptr;
  }
  if (!handle->network) {
    Throw(env, "the network has been freed");
    return nullptr;
  }
  Network& network = *handle->network;
  napi_get_value_int32(env, argv[1], &batch);
  if (batch < 1) {
    Throw(env, "batch must be a positive integer");
    return nullptr;
  }
  FloatArray images, logits;
  if (!ReadFloatArray(env, argv[2], "images", ValueElements(network.shapes[0], batch), &images) ||
      !ReadFloatArray(env, argv[3], "logits", static_cast<size_t>(batch) * network.linearBias.size(), &logits)) {
    return nullptr;
  }
  Guarded(env, [&] { RunNetwork(network, batch, images.data, logits.data); });
  return nullptr;
}

// freeNetwork(network): frees its weights and buffers now rather than when it is garbage collected.
napi_value FreeNetwork(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  NetworkHandle* handle = nullptr;
  if (ReadExactArguments(env, info, 1, "freeNetwork(network)", argv) && ReadNetwork(env, argv[0], &handle)) {
    handle->network.reset();
  }
  return nullptr;
}

// Element-wise binary operations on float32 tensors of up to rank 4, by oneDNN's binary primitive (AVX-512, on every
// core); wasm runs them in a plain loop on one thread, at a tenth of the memory bandwidth.
enum class BinaryKind { kAdd = 0, kMultiply = 1, kSubtract = 2 };

using BinaryKey = std::tuple<int, std::array<int64_t, 4>, std::array<int64_t, 4>>;

LruCache<BinaryKey, dnnl::binary>& Binaries() {
  static LruCache<BinaryKey, dnnl::binary> cache(kCacheCapacity);
  return cache;
}

dnnl::binary& CachedBinary(BinaryKind kind, const memory::desc& a, const memory::desc& b) {
  std::array<int64_t, 4> aDims{}, bDims{};
  for (int i = 0; i < 4; ++i) {
    aDims[i] = a.dims()[i];
    bDims[i] = b.dims()[i];
  }
  return Binaries().GetOrCreate(BinaryKey{static_cast<int>(kind), aDims, bDims}, [&] {
    const dnnl::algorithm algorithm = kind == BinaryKind::kAdd        ? dnnl::algorithm::binary_add
                                      : kind == BinaryKind::kMultiply ? dnnl::algorithm::binary_mul
                                                                      : dnnl::algorithm::binary_sub;
    return dnnl::binary(dnnl::binary::primitive_desc(dnnl::binary::desc(algorithm, a, b, a), Engine()));
  });
}

// binary(kind, aDims, a, bDims, b, out): out = a (op) b, where b's dims equal a's or are 1 (broadcast), out has a's.
napi_value Binary(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t kind;
  memory::dims aDims(4), bDims(4);
  if (!ReadArguments(env, info, 6, "binary(kind, aDims, a, bDims, b, out)", 3,
                     "kind must be 0 (add), 1 (multiply) or 2 (subtract)", argv, &kind) ||
      !ReadInt32Values(env, argv[1], "aDims", 4, aDims.data()) ||
      !ReadInt32Values(env, argv[3], "bDims", 4, bDims.data())) {
    return nullptr;
  }
  int64_t aSize = 1, bSize = 1;
  for (int i = 0; i < 4; ++i) {
    if (bDims[i] != aDims[i] && bDims[i] != 1) {
      Throw(env, "b's dims must equal a's or be 1");
      return nullptr;
    }
    aSize *= aDims[i];
    bSize *= bDims[i];
  }
  FloatArray a, b, out;
  if (!ReadFloatArray(env, argv[2], "a", aSize, &a) || !ReadFloatArray(env, argv[4], "b", bSize, &b) ||
      !ReadFloatArray(env, argv[5], "out", aSize, &out)) {
    return nullptr;
  }
  Guarded(env, [&] {
    const memory::desc aDesc(aDims, memory::data_type::f32, Tag::abcd);
    const memory::desc bDesc(bDims, memory::data_type::f32, Tag::abcd);
    dnnl::engine& engine = Engine();
    dnnl::stream stream(engine);
    CachedBinary(static_cast<BinaryKind>(kind), aDesc, bDesc)
        .execute(stream, {{DNNL_ARG_SRC_0, memory(aDesc, engine, a.data)},
                          {DNNL_ARG_SRC_1, memory(bDesc, engine, b.data)},
                          {DNNL_ARG_DST, memory(aDesc, engine, out.data)}});
    stream.wait();
  });
  return nullptr;
}

// Batch normalization in training on NHWC activations: the forward pass normalizes by the batch's mean and biased
// variance, scales and shifts, and returns the statistics; the backward pass gives the input, scale and shift
// gradients from them. Two and three passes over the activation, where the tfjs composition makes about ten.
//
// Plain loops (OpenMP threads, vectorized over channels), not oneDNN's batch-normalization primitives, which took
// the seeded 20-step run of test/pytorch-parity.test.ts off PyTorch's path at step 8 (6.5e-2 apart in loss by step
// 20, where every other backend stays within 1e-6): they sum in float (statistics up to 2e-5 from float64's for 4,096
// values a channel) and write y and dx from float32 per-channel factors. Here the sums are in double and each output
// value is computed in double from the centred input, then rounded once; float32 factors here (y = x * scale + shift)
// left the run at step 8 too. That run is chaotic (a ReLU input on the other side of zero changes a gradient by 1e-3),
// so it holds the kernels to float64's results within a few float32 ulps.

// Rows (pixels) whose values a channel sums in float before adding them to its double sum: short float sums keep
// float32's rounding at a few ulps, and the loop over channels stays one vector instruction per 16 of them.
constexpr size_t kFloatSumRows = 16;

// Adds row `row` of each term to its float partial sums, one pass over the row for all the terms.
template <size_t... K, typename... Terms>
void AddRow(std::array<std::vector<float>, sizeof...(Terms)>& blocks, size_t row, size_t channels,
            std::index_sequence<K...>, const Terms&... terms) {
  float* const partials[] = {blocks[K].data()...};
#pragma omp simd
  for (size_t c = 0; c < channels; ++c) ((partials[K][c] += terms(row, c)), ...);
}

// Per-channel sums over `count` rows of `channels` values, one per term: sum of term(row, c) in double, each
// thread's rows in order, the threads' sums added in thread order (so the same on every run with the same thread
// count). Several terms are summed in one pass over the rows, each exactly as it would be alone.
template <typename... Terms>
std::array<std::vector<double>, sizeof...(Terms)> ChannelSums(size_t count, size_t channels, const Terms&... terms) {
  constexpr size_t kTerms = sizeof...(Terms);
  std::array<std::vector<double>, kTerms> totals;
  for (std::vector<double>& total : totals) total.assign(channels, 0.0);
#pragma omp parallel
  {
    std::array<std::vector<double>, kTerms> sums;
    std::array<std::vector<float>, kTerms> blocks;
    for (size_t k = 0; k < kTerms; ++k) {
      sums[k].assign(channels, 0.0);
      blocks[k].resize(channels);
    }
#pragma omp for schedule(static) nowait
    for (size_t first = 0; first < count; first += kFloatSumRows) {
      for (std::vector<float>& block : blocks) std::fill(block.begin(), block.end(), 0.0f);
      const size_t last = std::min(count, first + kFloatSumRows);
      for (size_t row = first; row < last; ++row) {
        AddRow(blocks, row, channels, std::index_sequence_for<Terms...>{}, terms...);
      }
      for (size_t k = 0; k < kTerms; ++k) {
        for (size_t c = 0; c < channels; ++c) sums[k][c] += blocks[k][c];
      }
    }
#pragma omp for ordered schedule(static, 1)
    for (int thread = 0; thread < omp_get_num_threads(); ++thread) {
#pragma omp ordered
      for (size_t k = 0; k < kTerms; ++k) {
        for (size_t c = 0; c < channels; ++c) totals[k][c] += sums[k][c];
      }
    }
  }
  return totals;
}

// Reads the [batch, height, width, channels] and epsilon arguments of the batch-norm calls.
bool ReadBatchNormShape(napi_env env, napi_value dimsValue, napi_value epsilonValue, std::array<int64_t, 4>* dims,
                        double* epsilon) {
  if (!ReadInt32Values(env, dimsValue, "dims", 4, dims->data())) return false;
  for (const int64_t dim : *dims) {
    if (dim < 1) return Throw(env, "dims must be positive");
  }
  double value = -1;
  napi_get_value_double(env, epsilonValue, &value);
  if (!(value > 0)) return Throw(env, "epsilon must be a positive number");
  // The layer's epsilon is a float32 weight of the model, as PyTorch's is added to a float32 variance.
  *epsilon = static_cast<float>(value);
  return true;
}

// batchNormForward(dims, epsilon, x, gamma, beta, y, mean, variance, relu): y = gamma * (x - mean) / sqrt(variance +
// epsilon) + beta with the batch's mean and biased variance per channel, which are written too; where relu is true,
// y is then ReLU'd as Relu computes it (0 for y <= 0), in the same pass.
napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  constexpr const char* kUsage = "batchNormForward(dims, epsilon, x, gamma, beta, y, mean, variance, relu)";
  napi_value argv[9];
  if (!ReadExactArguments(env, info, 9, kUsage, argv)) return nullptr;
  std::array<int64_t, 4> dims;
  double epsilon;
  bool relu = false;
  if (!ReadBatchNormShape(env, argv[0], argv[1], &dims, &epsilon)) return nullptr;
  if (napi_get_value_bool(env, argv[8], &relu) != napi_ok) {
    Throw(env, "relu must be a boolean");
    return nullptr;
  }
  const size_t channels = dims[3], count = dims[0] * dims[1] * dims[2], size = count * channels;
  FloatArray x, gamma, beta, y, mean, variance;
  if (!ReadFloatArray(env, argv[2], "x", size, &x) || !ReadFloatArray(env, argv[3], "gamma", channels, &gamma) ||
      !ReadFloatArray(env, argv[4], "beta", channels, &beta) || !ReadFloatArray(env, argv[5], "y", size, &y) ||
      !ReadFloatArray(env, argv[6], "mean", channels, &mean) ||
      !ReadFloatArray(env, argv[7], "variance", channels, &variance)) {
    return nullptr;
  }
  const double n = static_cast<double>(count);
  const float* in = x.data;
  const auto [sums] = ChannelSums(count, channels, [&](size_t row, size_t c) { return in[row * channels + c]; });
  for (size_t c = 0; c < channels; ++c) mean.data[c] = static_cast<float>(sums[c] / n);
  const float* centre = mean.data;
  const auto [squares] = ChannelSums(count, channels, [&](size_t row, size_t c) {
    const float centred = in[row * channels + c] - centre[c];
    return centred * centred;
  });
  // y = (x - mean) * scale + beta, in double from the double mean.
  std::vector<double> batchMean(channels), scale(channels);
  for (size_t c = 0; c < channels; ++c) {
    const double batchVariance = squares[c] / n;
    variance.data[c] = static_cast<float>(batchVariance);
    batchMean[c] = sums[c] / n;
    scale[c] = gamma.data[c] / std::sqrt(batchVariance + epsilon);
  }
  const double* m = batchMean.data();
  const double* a = scale.data();
  const float* b = beta.data;
  float* out = y.data;
#pragma omp parallel for schedule(static)
  for (size_t row = 0; row < count; ++row) {
#pragma omp simd
    for (size_t c = 0; c < channels; ++c) {
      const size_t at = row * channels + c;
      const float value = static_cast<float>((in[at] - m[c]) * a[c] + b[c]);
      // As Relu computes it, so that a ReLU of this output is the output itself, bit for bit.
      out[at] = relu && value <= 0.0f ? 0.0f : value;
    }
  }
  return nullptr;
}

// batchNormBackward(dims, epsilon, x, gamma, mean, variance, dy, dx, dGamma, dBeta): the gradients of
// batchNormForward's y with respect to x, gamma and beta, from the statistics it wrote. With xHat = (x - mean) /
// sqrt(variance + epsilon) and a = gamma / sqrt(variance + epsilon), over the n values of each channel:
//   dBeta = sum(dy), dGamma = sum(dy * xHat), dx = a * (dy - dBeta / n - xHat * dGamma / n).
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!ReadExactArguments(env, info, 10,
                          "batchNormBackward(dims, epsilon, x, gamma, mean, variance, dy, dx, dGamma, dBeta)", argv)) {
    return nullptr;
  }
  std::array<int64_t, 4> dims;
  double epsilon;
  if (!ReadBatchNormShape(env, argv[0], argv[1], &dims, &epsilon)) return nullptr;
  const size_t channels = dims[3], count = dims[0] * dims[1] * dims[2], size = count * channels;
  FloatArray x, gamma, mean, variance, dy, dx, dGamma, dBeta;
  if (!ReadFloatArray(env, argv[2], "x", size, &x) || !ReadFloatArray(env, argv[3], "gamma", channels, &gamma) ||
      !ReadFloatArray(env, argv[4], "mean", channels, &mean) ||
      !ReadFloatArray(env, argv[5], "variance", channels, &variance) ||
      !ReadFloatArray(env, argv[6], "dy", size, &dy) || !ReadFloatArray(env, argv[7], "dx", size, &dx) ||
      !ReadFloatArray(env, argv[8], "dGamma", channels, &dGamma) ||
      !ReadFloatArray(env, argv[9], "dBeta", channels, &dBeta)) {
    return nullptr;
  }
  const float* in = x.data;
  const float* gradient = dy.data;
  const float* centre = mean.data;
  // Both sums in one pass over dy.
  const auto [sumDy, sumDyCentred] = ChannelSums(
      count, channels, [&](size_t row, size_t c) { return gradient[row * channels + c]; },
      [&](size_t row, size_t c) { return gradient[row * channels + c] * (in[row * channels + c] - centre[c]); });
  // dx = a * dy - offset - slope * (x - mean), per channel.
  std::vector<double> a(channels), offset(channels), slope(channels);
  const double n = static_cast<double>(count);
  for (size_t c = 0; c < channels; ++c) {
    const double inverseStd = 1.0 / std::sqrt(variance.data[c] + epsilon);
    const double sumDyXHat = sumDyCentred[c] * inverseStd;
    const double scale = gamma.data[c] * inverseStd;
    a[c] = scale;
    offset[c] = scale * sumDy[c] / n;
    slope[c] = scale * inverseStd * sumDyXHat / n;
    dGamma.data[c] = static_cast<float>(sumDyXHat);
    dBeta.data[c] = static_cast<float>(sumDy[c]);
  }
  const double* scale = a.data();
  const double* shift = offset.data();
  const double* tilt = slope.data();
  float* out = dx.data;
#pragma omp parallel for schedule(static)
  for (size_t row = 0; row < count; ++row) {
#pragma omp simd
    for (size_t c = 0; c < channels; ++c) {
      const size_t at = row * channels + c;
      const double centred = static_cast<double>(in[at]) - centre[c];
      out[at] = static_cast<float>(scale[c] * gradient[at] - shift[c] - tilt[c] * centred);
    }
  }
  return nullptr;
}

// setConvolutionAlgorithm(algorithm): 0 direct, 1 auto (Winograd where it pays), 2 Winograd wherever oneDNN has it
// (see ConvolutionAlgorithm). Drops the cached convolutions, whose layouts may change; filters packFilter packed
// before must be packed again.
napi_value SetConvolutionAlgorithm(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t algorithm;
  if (!ReadArguments(env, info, 1, "setConvolutionAlgorithm(algorithm)", kConvolutionAlgorithms,
                     "algorithm must be 0 (direct), 1 (auto) or 2 (Winograd)", argv, &algorithm)) {
    return nullptr;
  }
  if (static_cast<ConvolutionAlgorithm>(algorithm) != gAlgorithm) {
    gAlgorithm = static_cast<ConvolutionAlgorithm>(algorithm);
    Convolutions().clear();
  }
  return nullptr;
}

// convolutionImplementation(kind, geometry): oneDNN's name for the kernel that computes this convolution, kind 0-2
// a training direction (Direction), 3 inference without bias, residual or ReLU.
napi_value ConvolutionImplementation(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t kind;
  Geometry g;
  if (!ReadArguments(env, info, 2, "convolutionImplementation(kind, geometry)", 4,
                     "kind must be 0 (forward), 1 (input gradient), 2 (filter gradient) or 3 (inference)", argv,
                     &kind) ||
      !ReadInt32Values(env, argv[1], "geometry", kGeometrySize, g.data())) {
    return nullptr;
  }
  napi_value result = nullptr;
  Guarded(env, [&] {
    const Convolution& convolution =
        kind == kInferenceKey ? CachedInference(g, 0) : Cached(static_cast<Direction>(kind), g);
    napi_create_string_utf8(env, convolution.implementation.c_str(), convolution.implementation.size(), &result);
  });
  return result;
}

// SGD with momentum and weight decay as torch.optim.SGD applies them (dampening 0), for many parameters in one pass:
//   g = grad + weightDecay * p;  buf = g on a parameter's first step, else momentum * buf + g;
//   p -= learningRate * (nesterov ? g + momentum * buf : buf)
// The optimizer's tfjs ops made about seven passes over each parameter, each a kernel call; here each value is read
// and written once, and one call covers every parameter, split into chunks for the threads. Each operation rounds
// to float32 in the ops' order (no fused multiply-add: the build targets baseline x86-64), so the results are those
// of the ops exactly.

// Elements per chunk that a thread updates at a time; below kSgdParallelElements in all, one thread does everything.
constexpr size_t kSgdChunkElements = 1 << 14;
constexpr size_t kSgdParallelElements = 1 << 15;

struct SgdHyperparameters {
  float learningRate, momentum, weightDecay;
};

struct SgdParameter {
  const float* parameter;
  const float* gradient;
  const float* buffer;  // null on the parameter's first step, and without momentum
  float* newParameter;
  float* newBuffer;  // null without momentum
  size_t length;
};

template <bool kDecay, bool kMomentum, bool kFirst, bool kNesterov>
void SgdUpdate(const SgdParameter& s, size_t begin, size_t end, SgdHyperparameters h) {
  const float* p = s.parameter;
  const float* grad = s.gradient;
  const float* buf = s.buffer;
  float* pOut = s.newParameter;
  float* bufOut = s.newBuffer;
#pragma omp simd
  for (size_t i = begin; i < end; ++i) {
    float g = grad[i];
    if (kDecay) g = g + p[i] * h.weightDecay;
    float direction = g;
    if (kMomentum) {
      const float b = kFirst ? g : buf[i] * h.momentum + g;
      bufOut[i] = b;
      direction = kNesterov ? g + b * h.momentum : b;
    }
    pOut[i] = p[i] - direction * h.learningRate;
  }
}

using SgdUpdateFunction = void (*)(const SgdParameter&, size_t, size_t, SgdHyperparameters);

template <bool kDecay>
SgdUpdateFunction SgdUpdateFor(bool momentum, bool first, bool nesterov) {
  if (!momentum) return SgdUpdate<kDecay, false, false, false>;
  if (first) return nesterov ? SgdUpdate<kDecay, true, true, true> : SgdUpdate<kDecay, true, true, false>;
  return nesterov ? SgdUpdate<kDecay, true, false, true> : SgdUpdate<kDecay, true, false, false>;
}

// sgdStep(learningRate, momentum, weightDecay, nesterov, parameters, gradients, buffers, newParameters, newBuffers):
// writes each parameter's update to newParameters[i] and, with momentum, its buffer to newBuffers[i]. The arrays are
// of one length; buffers[i] is null on a parameter's first step and without momentum, newBuffers[i] null without.
napi_value SgdStep(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  constexpr const char* kUsage =
      "sgdStep(learningRate, momentum, weightDecay, nesterov, parameters, gradients, buffers, newParameters, "
      "newBuffers)";
  if (!ReadExactArguments(env, info, 9, kUsage, argv)) return nullptr;
  double learningRate = NAN, momentum = NAN, weightDecay = NAN;
  bool nesterov = false;
  napi_get_value_double(env, argv[0], &learningRate);
  napi_get_value_double(env, argv[1], &momentum);
  napi_get_value_double(env, argv[2], &weightDecay);
  if (!std::isfinite(learningRate) || !(momentum >= 0) || !std::isfinite(momentum) || !(weightDecay >= 0) ||
      !std::isfinite(weightDecay) || napi_get_value_bool(env, argv[3], &nesterov) != napi_ok) {
    Throw(env, std::string(kUsage) +
                   ": learningRate must be a finite number, momentum and weightDecay finite numbers >= 0, nesterov "
                   "a boolean");
    return nullptr;
  }
  std::vector<napi_value> parameters, gradients, buffers, newParameters, newBuffers;
  if (!ReadArray(env, argv[4], "parameters", kAnyLength, &parameters)) return nullptr;
  const size_t count = parameters.size();
  if (!ReadArray(env, argv[5], "gradients", count, &gradients) ||
      !ReadArray(env, argv[6], "buffers", count, &buffers) ||
      !ReadArray(env, argv[7], "newParameters", count, &newParameters) ||
      !ReadArray(env, argv[8], "newBuffers", count, &newBuffers)) {
    return nullptr;
  }
  const bool withMomentum = momentum > 0;
  std::vector<SgdParameter> updates(count);
  std::vector<SgdUpdateFunction> functions(count);
  std::vector<std::tuple<size_t, size_t, size_t>> chunks;  // parameter, begin, end
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    const std::string at = "[" + std::to_string(i) + "]";
    FloatArray parameter, gradient, buffer{nullptr, 0}, newParameter, newBuffer{nullptr, 0};
    if (!ReadFloatArray(env, parameters[i], ("parameters" + at).c_str(), kAnyLength, &parameter)) return nullptr;
    const size_t length = parameter.length;
    if (!ReadFloatArray(env, gradients[i], ("gradients" + at).c_str(), length, &gradient) ||
        !ReadFloatArray(env, newParameters[i], ("newParameters" + at).c_str(), length, &newParameter)) {
      return nullptr;
    }
    const bool first = IsNull(env, buffers[i]);
    if (!withMomentum && !first) {
      Throw(env, "buffers" + at + " must be null without momentum");
      return nullptr;
    }
    if (!first && !ReadFloatArray(env, buffers[i], ("buffers" + at).c_str(), length, &buffer)) return nullptr;
    if (withMomentum == IsNull(env, newBuffers[i])) {
      Throw(env, "newBuffers" + at +
                     (withMomentum ? " must be a Float32Array with momentum" : " must be null without momentum"));
      return nullptr;
    }
    if (withMomentum && !ReadFloatArray(env, newBuffers[i], ("newBuffers" + at).c_str(), length, &newBuffer)) {
      return nullptr;
    }
    updates[i] = {parameter.data, gradient.data, buffer.data, newParameter.data, newBuffer.data, length};
    functions[i] = weightDecay > 0 ? SgdUpdateFor<true>(withMomentum, first, nesterov)
                                   : SgdUpdateFor<false>(withMomentum, first, nesterov);
    for (size_t begin = 0; begin < length; begin += kSgdChunkElements) {
      chunks.emplace_back(i, begin, std::min(length, begin + kSgdChunkElements));
    }
    total += length;
  }
  // As the ops round them: tf.mul(x, scalar) multiplies by the scalar in float32.
  const SgdHyperparameters h{static_cast<float>(learningRate), static_cast<float>(momentum),
                             static_cast<float>(weightDecay)};
  const std::int64_t chunkCount = static_cast<std::int64_t>(chunks.size());
#pragma omp parallel for schedule(static) if (total >= kSgdParallelElements)
  for (std::int64_t c = 0; c < chunkCount; ++c) {
    const auto [i, begin, end] = chunks[c];
    functions[i](updates[i], begin, end, h);
  }
  return nullptr;
}

// ReLU forward and its gradient, each one vectorized pass, on every core for large tensors. tfjs composes the gradient
// of three kernels (dy * cast(step(x))), three passes over the activation. Measured in ResNet18's training at batch 32
// (tf.profile, 17 ReLUs a step, 2 cores): the gradient 10-12 ms a step against 18-20 for Step, Multiply and Cast; the
// forward pass 9-11.5 ms against 14-17.5 for wasm's own kernel (which is as fast or faster on small tensors still in
// cache). Plain loops rather than oneDNN's eltwise_relu primitives: as fast (2^21 values: 0.42-0.51 ms forward and
// 0.9-1.4 ms backward either way), with no primitive per shape to cache, and with tfjs's values exactly, where oneDNN
// gives relu(NaN) = 0 and passes dy through at a NaN x:
//   relu(x) = Math.max(0, x): 0 (never -0) for x <= 0, NaN for NaN;
//   dx = dy * step(x), step(x) = 1 for x > 0, NaN for NaN, else 0: so dy where x > 0, and elsewhere dy * 0, which is
//   -0 for a negative dy and NaN for an infinite or NaN one (PyTorch's threshold_backward writes 0 there).
// The loops' `if` names `parallel`: an unqualified one applies to `simd` as well, and turned vectorization off with
// the threads (a one-thread pass took 10.8 ms for 2^21 values, 0.41 ms vectorized).

// Below this many values one thread does the whole pass, where waking the other costs more than it saves: per call on
// ResNet18's activations at batch 32, two threads ran the gradient of 2^20 values in a third of the time, and both
// passes over 2^18 values slower than one thread.
constexpr std::int64_t kEltwiseParallelElements = 1 << 19;

// Reads `count` Float32Array arguments of one length into `arrays`; `usage` names them for the errors.
bool ReadEqualFloatArrays(napi_env env, napi_callback_info info, size_t count, const char* usage,
                          const char* const* names, FloatArray* arrays) {
  constexpr size_t kMostArrays = 3;
  napi_value argv[kMostArrays];
  if (count > kMostArrays) return Throw(env, std::string(usage) + ": at most 3 arrays");
  if (!ReadExactArguments(env, info, count, usage, argv)) return false;
  if (!ReadFloatArray(env, argv[0], names[0], kAnyLength, &arrays[0])) return false;
  for (size_t i = 1; i < count; ++i) {
    if (!ReadFloatArray(env, argv[i], names[i], arrays[0].length, &arrays[i])) return false;
  }
  return true;
}

// relu(x, y): y = relu(x), as tfjs's cpu kernel computes it (see above).
napi_value Relu(napi_env env, napi_callback_info info) {
  static const char* const kNames[] = {"x", "y"};
  FloatArray arrays[2];
  if (!ReadEqualFloatArrays(env, info, 2, "relu(x, y)", kNames, arrays)) return nullptr;
  const float* x = arrays[0].data;
  float* y = arrays[1].data;
  const std::int64_t n = static_cast<std::int64_t>(arrays[0].length);
#pragma omp parallel for simd schedule(static) if (parallel : n >= kEltwiseParallelElements)
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] <= 0.0f ? 0.0f : x[i];
  return nullptr;
}

// reluGrad(dy, x, dx): dx = dy * step(x), the gradient of relu(x) as tfjs composes it (see above).
napi_value ReluGrad(napi_env env, napi_callback_info info) {
  static const char* const kNames[] = {"dy", "x", "dx"};
  FloatArray arrays[3];
  if (!ReadEqualFloatArrays(env, info, 3, "reluGrad(dy, x, dx)", kNames, arrays)) return nullptr;
  const float* dy = arrays[0].data;
  const float* x = arrays[1].data;
  float* dx = arrays[2].data;
  const std::int64_t n = static_cast<std::int64_t>(arrays[0].length);
#pragma omp parallel for simd schedule(static) if (parallel : n >= kEltwiseParallelElements)
  for (std::int64_t i = 0; i < n; ++i) {
    // x itself where it is NaN, as step's NaN.
    const float step = x[i] > 0.0f ? 1.0f : (x[i] == x[i] ? 0.0f : x[i]);
    dx[i] = dy[i] * step;
  }
  return nullptr;
}

// releaseStaged(token): drops the copies kept under `token`, whose tensor was disposed (no call reads it again), so
// that their memory serves new copies before the cache is full.
napi_value ReleaseStaged(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  double token;
  if (!ReadExactArguments(env, info, 1, "releaseStaged(token)", argv) || !ReadToken(env, argv[0], "token", &token)) {
    return nullptr;
  }
  StagedTensors& staged = Staged();
  for (auto entry = staged.entries.begin(); entry != staged.entries.end();) {
    const auto next = std::next(entry);
    if (entry->token == token) Unstage(staged, entry);
    entry = next;
  }
  return nullptr;
}

// cachedPrimitives(): how many convolution and binary primitives are kept (at most kCacheCapacity each), and the
// staged tensors (StagedTensors): how many, their bytes, how many reads found theirs staged, and how many copies
// were given new memory.
napi_value CachedPrimitives(napi_env env, napi_callback_info) {
  napi_value result, convolutions, binaries, capacity;
  napi_create_object(env, &result);
  napi_create_uint32(env, static_cast<uint32_t>(Convolutions().size()), &convolutions);
  napi_create_uint32(env, static_cast<uint32_t>(Binaries().size()), &binaries);
  napi_create_uint32(env, static_cast<uint32_t>(kCacheCapacity), &capacity);
  napi_set_named_property(env, result, "convolutions", convolutions);
  napi_set_named_property(env, result, "binaries", binaries);
  napi_set_named_property(env, result, "capacity", capacity);
  napi_value staged, stagedCapacity, stagedBytes, stagedHits, stagedAllocations;
  napi_create_uint32(env, static_cast<uint32_t>(Staged().entries.size()), &staged);
  napi_create_uint32(env, static_cast<uint32_t>(kStagedEntries), &stagedCapacity);
  napi_set_named_property(env, result, "stagedCapacity", stagedCapacity);
  napi_create_double(env, static_cast<double>(Staged().bytes), &stagedBytes);
  napi_create_double(env, static_cast<double>(Staged().hits), &stagedHits);
  napi_create_double(env, static_cast<double>(Staged().allocations), &stagedAllocations);
  napi_set_named_property(env, result, "stagedAllocations", stagedAllocations);
  napi_set_named_property(env, result, "stagedTensors", staged);
  napi_set_named_property(env, result, "stagedBytes", stagedBytes);
  napi_set_named_property(env, result, "stagedHits", stagedHits);
  return result;
}

napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* version = dnnl_version();
  const std::string text = std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
                           std::to_string(version->patch);
  napi_value result;
  napi_create_string_utf8(env, text.c_str(), text.size(), &result);
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"run", nullptr, Run, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"infer", nullptr, Infer, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"packFilter", nullptr, PackFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createNetwork", nullptr, CreateNetwork, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"runNetwork", nullptr, RunNetworkCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"freeNetwork", nullptr, FreeNetwork, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormForward", nullptr, BatchNormForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgdStep", nullptr, SgdStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"relu", nullptr, Relu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluGrad", nullptr, ReluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setConvolutionAlgorithm", nullptr, SetConvolutionAlgorithm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convolutionImplementation", nullptr, ConvolutionImplementation, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"cachedPrimitives", nullptr, CachedPrimitives, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"releaseStaged", nullptr, ReleaseStaged, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
