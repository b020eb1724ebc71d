// tensorgrad native backend: the strided copy between two typed arrays of one type, the twin
// of src/backend/copy.ts `gather` / `scatter` (and of the broadcast expansion in
// src/ops/elementwise.ts). Elements are moved unchanged, so any element type works.
#include <cstring>

#include "abi.gen.h"
#include "strided.h"

namespace tg {
namespace {

// Elements per thread below which a copy stays on the calling thread: a copy is as cheap as
// elementwise.cc's cheap ops (kCheapPerThread there, measured).
constexpr Index kCheapPerThread = 1 << 17;

size_t elementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array: return 1;
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    default: return 8;
  }
}

template <typename T>
void copyStrided(const T* src, Index sOff, T* dst, Index dOff, const Walk<2>& w) {
  const Index ss = w.strides.back()[0], ds = w.strides.back()[1], inner = w.inner;
  parallelRows<2>(w, {sOff, dOff}, kCheapPerThread, [&](const std::array<Index, 2>& off, Index) {
    const T* s = src + off[0];
    T* d = dst + off[1];
    if (ss == 1 && ds == 1) std::memcpy(d, s, size_t(inner) * sizeof(T));
    else if (ss == 0) {
      const T v = s[0];
      for (Index i = 0; i < inner; i++) d[i * ds] = v;
    } else {
      for (Index i = 0; i < inner; i++) d[i * ds] = s[i * ss];
    }
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Bindings (arguments parsed by abi.gen.cc)

// dst[layout] = src[layout] elementwise over `shape` for two typed arrays of one type (gather,
// scatter, expand). The two layouts must not overlap in memory (rows are copied in parallel,
// contiguous ones by memcpy); every caller copies into a fresh array or from a fresh copy.
Napi::Value run(const Napi::CallbackInfo& info, const args::stridedCopy& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &s = arg.src, &d = arg.dst;
  const Index sOff = arg.srcOff, dOff = arg.dstOff;
  const std::vector<Index> &ss = arg.srcStrides, &ds = arg.dstStrides, &shape = arg.shape;
  Index n;
  if (s.type != d.type)
    return typeError(env, fn, "src and dst must have one type"), env.Undefined();
  if (ss.size() != shape.size() || ds.size() != shape.size() || !shapeOk(shape, &n))
    return rangeError(env, fn, "shape and strides must have one length"), env.Undefined();
  if (!stridedInBounds(s.len, sOff, shape, ss) || !stridedInBounds(d.len, dOff, shape, ds))
    return rangeError(env, fn, "layout out of the arrays' bounds"), env.Undefined();
  if (n == 0) return env.Undefined();
  const Walk<2> w = coalesce<2>(shape, {&ss, &ds});
  switch (elementSize(s.type)) {
    case 1:
      copyStrided(static_cast<const uint8_t*>(s.data), sOff, static_cast<uint8_t*>(d.data), dOff,
                  w);
      break;
    case 2:
      copyStrided(static_cast<const uint16_t*>(s.data), sOff, static_cast<uint16_t*>(d.data), dOff,
                  w);
      break;
    case 4:
      copyStrided(static_cast<const uint32_t*>(s.data), sOff, static_cast<uint32_t*>(d.data), dOff,
                  w);
      break;
    default:
      copyStrided(static_cast<const uint64_t*>(s.data), sOff, static_cast<uint64_t*>(d.data), dOff,
                  w);
  }
  return env.Undefined();
}

}  // namespace tg
