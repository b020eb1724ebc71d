// tensorgrad native backend: the addon's entry point. The kernel bindings (one file per kernel
// family, declared in the generated abi.gen.h) are registered by registerKernels; this file adds
// the backend-wide controls.
#include "abi.gen.h"
#include "buffers.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

using namespace tg;

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().Int64Value() < 1) {
    Napi::TypeError::New(env, "setNumThreads(n) expects a positive integer")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::lock_guard<std::mutex> lock(poolUse);
  numThreads = size_t(std::min<int64_t>(info[0].As<Napi::Number>().Int64Value(), 256));
  pool.resize(numThreads);
  return env.Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(numThreads));
}

// setKernel("scalar" | "avx2" | "auto"): force the portable kernels or the AVX2 ones (when
// the CPU has them), or go back to the best the CPU supports. Returns the kernels now in use.
Napi::Value SetKernel(const Napi::CallbackInfo& info) {
  const std::string which = info.Length() > 0 && info[0].IsString()
                                ? info[0].As<Napi::String>().Utf8Value()
                                : std::string("auto");
  const int want = which == "scalar" ? kScalar : which == "avx2" ? kAvx2 : kAvx512;
  simdLevel.store(std::min(want, kBestSimd));
  return Napi::String::New(info.Env(), simdName(simdLevel.load()));
}

// Note [malloc tuning]: tensor storage is ArrayBuffers that V8 allocates with malloc and frees
// only when the garbage collector runs, in batches. With glibc's defaults a large buffer is
// mmap'ed (or, after the dynamic threshold adapts, freed memory at the top of the heap is
// trimmed back to the kernel), so each new activation or gradient buffer is faulted in page by
// page: measured here, a ReLU backward over 1.4 MB took 556 us in fresh memory against 200 us in
// reused memory, and page faults were about a tenth of the MLP and CNN training steps. Raising
// the mmap threshold to 32 MB and the trim threshold to 128 MB makes freed buffers reusable, as
// PyTorch's immediately freed tensors are. Set TENSORGRAD_MALLOC_TUNING=0 to keep glibc's
// defaults (other C libraries are left alone).
void tuneMalloc() {
#if defined(__GLIBC__)
  const char* env = std::getenv("TENSORGRAD_MALLOC_TUNING");
  if (env != nullptr && std::strcmp(env, "0") == 0) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tuneMalloc();
  registerKernels(env, exports);
  registerBufferPool(env, exports);
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("setKernel", Napi::Function::New(env, SetKernel, "setKernel"));
  exports.Set("simd", Napi::String::New(env, simdName(kBestSimd)));
  return exports;
}

}  // namespace

NODE_API_MODULE(tensorgrad_native, Init)
