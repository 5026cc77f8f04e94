// Node addon: 2-D convolutions (forward, gradient with respect to the input, gradient with respect to the filter)
// computed by oneDNN on float32 arrays in TensorFlow.js's layouts (NHWC activations, [kh, kw, in, out] filters).
//
// The arrays are views of the wasm backend's heap, so nothing is copied: oneDNN reads and writes the tensors where
// wasm keeps them. One primitive is created per distinct shape and kept, because creating one JIT-compiles code.
#include <node_api.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

// [batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth,
//  strideHeight, strideWidth, padTop, padLeft, padBottom, padRight]
constexpr size_t kGeometrySize = 15;
using Geometry = std::array<int64_t, kGeometrySize>;

enum class Direction { kForward = 0, kInputGradient = 1, kFilterGradient = 2 };

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

dnnl::convolution_forward::primitive_desc ForwardHint(const Descriptors& d) {
  return dnnl::convolution_forward::primitive_desc(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                      d.source, d.weights, d.destination, d.strides, d.padLeft, d.padRight),
      Engine());
}

dnnl::primitive Create(Direction direction, const Geometry& g) {
  const Descriptors d = Describe(g);
  const auto hint = ForwardHint(d);
  switch (direction) {
    case Direction::kForward:
      return dnnl::convolution_forward(hint);
    case Direction::kInputGradient:
      return dnnl::convolution_backward_data(dnnl::convolution_backward_data::primitive_desc(
          dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, d.source, d.weights,
                                                d.destination, d.strides, d.padLeft, d.padRight),
          Engine(), hint));
    case Direction::kFilterGradient:
      return dnnl::convolution_backward_weights(dnnl::convolution_backward_weights::primitive_desc(
          dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, d.source, d.weights,
                                                   d.destination, d.strides, d.padLeft, d.padRight),
          Engine(), hint));
  }
  throw std::logic_error("unknown direction");
}

dnnl::primitive& Cached(Direction direction, const Geometry& g) {
  static std::map<std::pair<int, Geometry>, dnnl::primitive> cache;
  const auto key = std::make_pair(static_cast<int>(direction), g);
  auto found = cache.find(key);
  if (found == cache.end()) found = cache.emplace(key, Create(direction, g)).first;
  return found->second;
}

struct FloatArray {
  float* data;
  size_t length;
};

bool Throw(napi_env env, const std::string& message) {
  napi_throw_error(env, "ERR_ONEDNN_CONVOLUTION", message.c_str());
  return false;
}

bool ReadFloatArray(napi_env env, napi_value value, const char* name, size_t expected, FloatArray* out) {
  bool isTypedArray = false;
  napi_is_typedarray(env, value, &isTypedArray);
  if (!isTypedArray) return Throw(env, std::string(name) + " must be a Float32Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr);
  if (type != napi_float32_array) return Throw(env, std::string(name) + " must be a Float32Array");
  if (length != expected) {
    return Throw(env, std::string(name) + " has " + std::to_string(length) + " elements, expected " +
                          std::to_string(expected));
  }
  *out = {static_cast<float*>(data), length};
  return true;
}

bool ReadGeometry(napi_env env, napi_value value, Geometry* out) {
  bool isTypedArray = false;
  napi_is_typedarray(env, value, &isTypedArray);
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (isTypedArray) napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr);
  if (!isTypedArray || type != napi_int32_array || length != kGeometrySize) {
    return Throw(env, "geometry must be an Int32Array of " + std::to_string(kGeometrySize) + " values");
  }
  const int32_t* values = static_cast<const int32_t*>(data);
  for (size_t i = 0; i < kGeometrySize; ++i) (*out)[i] = values[i];
  return true;
}

// run(direction, geometry, source, weights, destination): for the forward direction destination is written; for the
// input gradient source (dx) is written from destination (dy); for the filter gradient weights (dw) is written.
napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 5) {
    Throw(env, "run(direction, geometry, source, weights, destination) takes 5 arguments");
    return nullptr;
  }
  int32_t directionValue = -1;
  napi_get_value_int32(env, argv[0], &directionValue);
  if (directionValue < 0 || directionValue > 2) {
    Throw(env, "direction must be 0 (forward), 1 (input gradient) or 2 (filter gradient)");
    return nullptr;
  }
  Geometry g;
  if (!ReadGeometry(env, argv[1], &g)) return nullptr;
  const auto [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr] = g;
  FloatArray source, weights, destination;
  if (!ReadFloatArray(env, argv[2], "source", n * ih * iw * ic, &source) ||
      !ReadFloatArray(env, argv[3], "weights", kh * kw * ic * oc, &weights) ||
      !ReadFloatArray(env, argv[4], "destination", n * oh * ow * oc, &destination)) {
    return nullptr;
  }
  try {
    const Direction direction = static_cast<Direction>(directionValue);
    const Descriptors d = Describe(g);
    dnnl::engine& engine = Engine();
    memory sourceMemory(d.source, engine, source.data);
    memory weightsMemory(d.weights, engine, weights.data);
    memory destinationMemory(d.destination, engine, destination.data);
    dnnl::stream stream(engine);
    dnnl::primitive& primitive = Cached(direction, g);
    switch (direction) {
      case Direction::kForward:
        primitive.execute(stream, {{DNNL_ARG_SRC, sourceMemory},
                                   {DNNL_ARG_WEIGHTS, weightsMemory},
                                   {DNNL_ARG_DST, destinationMemory}});
        break;
      case Direction::kInputGradient:
        primitive.execute(stream, {{DNNL_ARG_DIFF_SRC, sourceMemory},
                                   {DNNL_ARG_WEIGHTS, weightsMemory},
                                   {DNNL_ARG_DIFF_DST, destinationMemory}});
        break;
      case Direction::kFilterGradient:
        primitive.execute(stream, {{DNNL_ARG_SRC, sourceMemory},
                                   {DNNL_ARG_DIFF_WEIGHTS, weightsMemory},
                                   {DNNL_ARG_DIFF_DST, destinationMemory}});
        break;
    }
    stream.wait();
  } catch (const dnnl::error& error) {
    Throw(env, std::string("oneDNN: ") + error.what());
  } catch (const std::exception& error) {
    Throw(env, error.what());
  }
  return nullptr;
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
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 2, properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
