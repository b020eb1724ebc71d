// tensorgrad native backend: the shared pieces declared in common.h.
#include "common.h"

namespace tg {

static bool cpuHasAvx2Fma() {
#if TG_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

const bool kHasAvx2 = cpuHasAvx2Fma();
std::atomic<bool> useAvx2{kHasAvx2};

void Pool::resize(size_t threads) {
  const size_t want = threads > 0 ? threads - 1 : 0;
  if (want == workers_.size()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
  stop_ = false;
  for (size_t i = 0; i < want; i++) workers_.emplace_back([this] { loop(); });
}

void Pool::run(size_t tasks, const std::function<void(size_t)>& fn) {
  if (tasks == 0) return;
  if (tasks == 1 || workers_.empty()) {
    for (size_t t = 0; t < tasks; t++) fn(t);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    tasks_ = tasks;
    next_.store(0);
    pending_ = tasks;
    generation_++;
  }
  cv_.notify_all();
  work();
  // return only when every task is done and no worker is still inside work(), so no worker
  // can touch this call's counter or function after it returns
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [this] { return pending_ == 0 && active_ == 0; });
  fn_ = nullptr;
}

void Pool::work() {
  for (;;) {
    const size_t t = next_.fetch_add(1);
    if (t >= tasks_) return;
    (*fn_)(t);
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ == 0) done_.notify_all();
  }
}

void Pool::loop() {
  uint64_t seen = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seen = generation_;
  }
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      active_++;
    }
    work();
    std::lock_guard<std::mutex> lock(mu_);
    if (--active_ == 0) done_.notify_all();
  }
}

Pool pool;
std::mutex poolUse;
size_t numThreads = std::max(1u, std::thread::hardware_concurrency());

void runTasks(size_t tasks, size_t threads, const std::function<void(size_t)>& fn) {
  if (threads > 1 && tasks > 1) {
    std::unique_lock<std::mutex> lock(poolUse, std::try_to_lock);
    if (lock.owns_lock()) {
      pool.resize(threads);
      pool.run(tasks, fn);
      return;
    }
  }
  for (size_t t = 0; t < tasks; t++) fn(t);
}

void parallelFor(Index n, Index minPerThread, const std::function<void(Index, Index)>& fn,
                 Index align) {
  if (n <= 0) return;
  const Index threads = std::min<Index>(Index(numThreads), n / std::max<Index>(minPerThread, 1));
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  Index step = (n + threads - 1) / threads;
  step = (step + align - 1) / align * align;
  const size_t tasks = size_t((n + step - 1) / step);
  runTasks(tasks, size_t(threads), [&](size_t t) {
    const Index lo = Index(t) * step;
    fn(lo, std::min(n, lo + step));
  });
}

// ---------------------------------------------------------------------------------------------
// Argument helpers

bool typeError(const Napi::Env& env, const char* fn, const std::string& what) {
  Napi::TypeError::New(env, std::string(fn) + ": " + what).ThrowAsJavaScriptException();
  return false;
}

bool rangeError(const Napi::Env& env, const char* fn, const std::string& what) {
  Napi::RangeError::New(env, std::string(fn) + ": " + what).ThrowAsJavaScriptException();
  return false;
}

bool argInt(const Napi::CallbackInfo& info, size_t i, const char* fn, Index* out) {
  if (i >= info.Length() || !info[i].IsNumber())
    return typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be a number");
  *out = info[i].As<Napi::Number>().Int64Value();
  return true;
}

bool argNumber(const Napi::CallbackInfo& info, size_t i, const char* fn, double* out) {
  if (i >= info.Length() || !info[i].IsNumber())
    return typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be a number");
  *out = info[i].As<Napi::Number>().DoubleValue();
  return true;
}

bool argFloatArray(const Napi::CallbackInfo& info, size_t i, const char* fn, void** data,
                   napi_typedarray_type* type, Index* len) {
  if (i >= info.Length() || !info[i].IsTypedArray())
    return typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be a typed array");
  auto ta = info[i].As<Napi::TypedArray>();
  *type = ta.TypedArrayType();
  if (*type != napi_float32_array && *type != napi_float64_array)
    return typeError(info.Env(), fn,
                     "argument " + std::to_string(i) + " must be a Float32Array or Float64Array");
  *len = Index(ta.ElementLength());
  *data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return true;
}

bool argIntArray(const Napi::CallbackInfo& info, size_t i, const char* fn,
                 std::vector<Index>* out) {
  if (i >= info.Length() || !info[i].IsArray())
    return typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be an array");
  auto arr = info[i].As<Napi::Array>();
  out->resize(arr.Length());
  for (uint32_t j = 0; j < arr.Length(); j++) {
    Napi::Value v = arr.Get(j);
    if (!v.IsNumber())
      return typeError(info.Env(), fn,
                       "argument " + std::to_string(i) + " must be an array of numbers");
    (*out)[j] = v.As<Napi::Number>().Int64Value();
  }
  return true;
}

bool stridedInBounds(Index len, Index off, const std::vector<Index>& shape,
                     const std::vector<Index>& strides) {
  Index lo = off, hi = off;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 0) return true;  // nothing is touched
    const Index span = (shape[d] - 1) * strides[d];
    if (span < 0) lo += span;
    else hi += span;
  }
  return lo >= 0 && hi < len;
}

}  // namespace tg
