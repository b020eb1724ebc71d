// tensorgrad native backend: the shared pieces declared in common.h.
#include "common.h"

#include <chrono>
#include <cmath>

namespace tg {

static int detectSimd() {
#if TG_X86
  __builtin_cpu_init();
  // (libgcc also checks that the OS saves the wider registers: XGETBV)
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return kScalar;
  return __builtin_cpu_supports("avx512f") ? kAvx512 : kAvx2;
#else
  return kScalar;
#endif
}

const int kBestSimd = detectSimd();
std::atomic<int> simdLevel{kBestSimd};

const char* simdName(int level) {
  return level >= kAvx512 ? "avx512f" : level >= kAvx2 ? "avx2-fma" : "scalar";
}

#if !TG_WASM || TG_WASM_THREADS
namespace {
// The pools' job word (Note [pool handoff], Note [wasm pool]): generation, task count and next
// task index in one 64-bit atomic.
constexpr int kIndexBits = 20, kTaskBits = 20;
constexpr uint64_t kIndexMask = (uint64_t(1) << kIndexBits) - 1;
constexpr uint64_t kTaskMask = (uint64_t(1) << kTaskBits) - 1;
inline uint64_t jobGen(uint64_t j) { return j >> (kIndexBits + kTaskBits); }
inline uint64_t jobTasks(uint64_t j) { return (j >> kIndexBits) & kTaskMask; }
inline uint64_t jobIndex(uint64_t j) { return j & kIndexMask; }
}  // namespace
#endif

#if TG_WASM && !TG_WASM_THREADS
size_t numThreads = 1;

void runTasks(size_t tasks, size_t, const std::function<void(size_t)>& fn) {
  for (size_t t = 0; t < tasks; t++) fn(t);
}
#elif TG_WASM_THREADS
// Note [wasm pool]: the threaded WebAssembly module's pool. Its workers are Web Workers or
// worker_threads the host starts (src/backend/wasm-threads.ts), each running this module on the
// one shared memory and calling wasmWorkerLoop, which never returns. The protocol is the native
// Pool's (Note [pool handoff]): one 64-bit job word (generation, tasks, next index) from which
// every thread claims tasks by compare-and-swap, and a count of unfinished tasks the caller
// spins on. The caller claims tasks too, so a call never depends on a worker having started (the
// host starts them asynchronously) or being scheduled: at worst it runs every task itself. An
// idle worker spins a while, then sleeps in memory.atomic.wait32 on `wake`, which run() bumps
// and notifies; the caller, a browser's main thread, never waits (it may not block): it spins.
// numThreads stays 1 until the host has started workers (tg_set_threads).
size_t numThreads = 1;

namespace {
// Job-word loads an idle worker spins for before it sleeps (~50-100 us).
constexpr int kSpins = 1 << 15;

std::atomic<uint64_t> job{0};
std::atomic<int32_t> wake{0};  // bumped by every run(): the word sleepers wait on
std::atomic<int32_t> sleepers{0};
std::atomic<size_t> pending{0};
std::atomic<bool> inUse{false};  // one job at a time: a task's own runTasks runs inline
const std::function<void(size_t)>* jobFn = nullptr;

// Runs the job's unclaimed tasks; returns how many this thread ran.
uint32_t claimAndRun(uint64_t gen) {
  uint32_t ran = 0;
  uint64_t j = job.load(std::memory_order_acquire);
  for (;;) {
    if (jobGen(j) != gen || jobIndex(j) >= jobTasks(j)) return ran;
    if (!job.compare_exchange_weak(j, j + 1, std::memory_order_acq_rel)) continue;
    (*jobFn)(size_t(jobIndex(j)));  // (the claimed task keeps the job alive)
    pending.fetch_sub(1, std::memory_order_acq_rel);
    ran++;
    j = job.load(std::memory_order_acquire);
  }
}
}  // namespace

// Tasks the workers (not the caller) have run: the tests' evidence that the threads work.
std::atomic<uint32_t> wasmWorkerTasks{0};

// Note [wasm grain]: the threaded module's kernels split a job only when each thread gets
// wasmGrain times the work the native pool asks for (parallelFor's minPerThread, matmul's
// kParallelMinWork). A worker that has slept (idle ~50-100 us: between the calls of a
// training step, usually) takes tens of microseconds to wake, and a call also pays its copies
// in and out on one thread (Note [wasm copies]), so a split pays off later than natively. Set
// by the host (TENSORGRAD_WASM_GRAIN, src/backend/wasm-threads.ts; bench/wasm-threads.ts
// measures it).
size_t wasmGrain = 4;

void wasmWorkerLoop() {
  uint64_t seen = jobGen(job.load());
  for (;;) {
    uint64_t gen = seen;
    for (int spins = 0; spins < kSpins && gen == seen; spins++)
      gen = jobGen(job.load(std::memory_order_acquire));
    if (gen == seen) {
      const int32_t w = wake.load();
      sleepers.fetch_add(1);  // seq_cst: run() either sees us here or we see its job
      if (jobGen(job.load()) == seen)
        __builtin_wasm_memory_atomic_wait32(reinterpret_cast<int32_t*>(&wake), w, -1);
      sleepers.fetch_sub(1);
      continue;
    }
    seen = gen;
    const uint32_t ran = claimAndRun(gen);
    if (ran > 0) wasmWorkerTasks.fetch_add(ran, std::memory_order_relaxed);
  }
}

void runTasks(size_t tasks, size_t threads, const std::function<void(size_t)>& fn) {
  if (threads <= 1 || tasks <= 1 || tasks > kTaskMask || numThreads <= 1 ||
      inUse.exchange(true, std::memory_order_acquire)) {
    for (size_t t = 0; t < tasks; t++) fn(t);
    return;
  }
  const uint64_t gen = jobGen(job.load()) + 1;
  jobFn = &fn;
  pending.store(tasks, std::memory_order_relaxed);
  job.store((gen << (kIndexBits + kTaskBits)) | (uint64_t(tasks) << kIndexBits));  // seq_cst
  wake.fetch_add(1);
  if (sleepers.load() > 0)
    __builtin_wasm_memory_atomic_notify(reinterpret_cast<int32_t*>(&wake), ~0u);
  claimAndRun(gen);
  while (pending.load(std::memory_order_acquire) != 0) {
  }
  inUse.store(false, std::memory_order_release);
}
#else
namespace {
// How long an idle worker spins before it sleeps (Note [pool handoff]). Long enough to span
// the gap between the parallel kernels of a training step: in the MLP step (bench "mlp") the
// worker is idle between its two products for the caller's small kernels and JavaScript, ~75-85
// us at best on one pinned core (median ~135-160 us under load), plus the caller's tail of the
// product before: at 100 us the worker slept before most products and each paid a wake-up
// (strace: ~4 futex calls per step), the product starting on the caller alone.
constexpr auto kSpinFor = std::chrono::microseconds(500);

inline void cpuRelax() {
#if TG_X86
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}
}  // namespace

void Pool::resize(size_t threads) {
  const size_t want = threads > 0 ? threads - 1 : 0;
  if (want == workers_.size()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
  stop_.store(false);
  // a new worker waits for jobs after the current one: had it read the job word itself, it could
  // start after the next run() posted its job and sit that job out (its tasks then all run on
  // the caller)
  const uint64_t seen = jobGen(job_.load());
  for (size_t i = 0; i < want; i++) workers_.emplace_back([this, seen] { loop(seen); });
}

bool Pool::claimAndRun(uint64_t gen) {
  bool ran = false;
  uint64_t j = job_.load(std::memory_order_acquire);
  for (;;) {
    if (jobGen(j) != gen || jobIndex(j) >= jobTasks(j)) return ran;
    if (!job_.compare_exchange_weak(j, j + 1, std::memory_order_acq_rel)) continue;
    // the claimed task keeps the job alive: run() does not return before it is finished
    (*fn_)(size_t(jobIndex(j)));
    pending_.fetch_sub(1, std::memory_order_acq_rel);
    ran = true;
    j = job_.load(std::memory_order_acquire);
  }
}

void Pool::run(size_t tasks, const std::function<void(size_t)>& fn) {
  if (tasks == 0) return;
  if (tasks == 1 || workers_.empty() || tasks > kTaskMask) {
    for (size_t t = 0; t < tasks; t++) fn(t);
    return;
  }
  const uint64_t gen = jobGen(job_.load()) + 1;
  fn_ = &fn;
  pending_.store(tasks, std::memory_order_relaxed);
  job_.store((gen << (kIndexBits + kTaskBits)) | (uint64_t(tasks) << kIndexBits));  // seq_cst
  if (sleepers_.load() > 0) {
    // (taking the lock orders this notify after a sleeper's last look at the job word)
    { std::lock_guard<std::mutex> lock(mu_); }
    cv_.notify_all();
  }
  claimAndRun(gen);
  // the workers' tasks take as long as ours: spin, and let the OS run them if it has not
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
    if ((spins & 1023) == 1023) std::this_thread::yield();
    else cpuRelax();
  }
}

void Pool::loop(uint64_t seen) {
  for (;;) {
    // wait for a new job: spin for kSpinFor, then sleep until run() or resize() wakes us
    auto spinUntil = std::chrono::steady_clock::now() + kSpinFor;
    uint64_t gen;
    for (int spins = 0;; spins++) {
      if (stop_.load(std::memory_order_relaxed)) return;
      gen = jobGen(job_.load(std::memory_order_acquire));
      if (gen != seen) break;
      if ((spins & 63) != 63) {
        cpuRelax();
      } else if (std::chrono::steady_clock::now() <= spinUntil) {
        // Note [yielding spin]: let whatever else is runnable on this core have it
        std::this_thread::yield();
      } else {
        sleepers_.fetch_add(1);  // seq_cst: run() either sees us here or we see its job
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_.load() || jobGen(job_.load()) != seen; });
        sleepers_.fetch_sub(1);
        spinUntil = std::chrono::steady_clock::now() + kSpinFor;
      }
    }
    seen = gen;
    claimAndRun(gen);
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
#endif

void parallelFor(Index n, Index minPerThread, const std::function<void(Index, Index)>& fn,
                 Index align) {
  if (n <= 0) return;
#if TG_WASM_THREADS
  minPerThread *= Index(wasmGrain);  // Note [wasm grain]
#endif
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

#if !TG_WASM  // the WebAssembly build's argument helpers: native/wasm/shim.cc
bool argInt(const Napi::CallbackInfo& info, size_t i, const char* fn, Index* out) {
  if (i >= info.Length() || !info[i].IsNumber())
    return typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be a number");
  // an integer of at most 2^53 in magnitude (not NaN, not 0.5): what a size, offset or stride
  // can be, and small enough that the bounds checks below cannot overflow
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(std::fabs(d) <= 9007199254740992.0) || d != std::trunc(d))
    return typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be an integer");
  *out = Index(d);
  return true;
}

bool argNumber(const Napi::CallbackInfo& info, size_t i, const char* fn, double* out) {
  if (i >= info.Length() || !info[i].IsNumber())
    return typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be a number");
  *out = info[i].As<Napi::Number>().DoubleValue();
  return true;
}

bool argTyped(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out) {
  if (i >= info.Length() || !info[i].IsTypedArray())
    return typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be a typed array");
  auto ta = info[i].As<Napi::TypedArray>();
  out->type = ta.TypedArrayType();
  out->len = Index(ta.ElementLength());
  out->data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  out->present = true;
  return true;
}

bool argFloat(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out) {
  if (!argTyped(info, i, fn, out)) return false;
  if (out->type != napi_float32_array && out->type != napi_float64_array)
    return typeError(info.Env(), fn,
                     "argument " + std::to_string(i) + " must be a Float32Array or Float64Array");
  return true;
}

bool argOptFloat(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out) {
  if (i < info.Length() && info[i].IsNull()) return true;
  return argFloat(info, i, fn, out);
}

bool argF64(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out) {
  if (!argTyped(info, i, fn, out)) return false;
  if (out->type != napi_float64_array)
    return typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be a Float64Array");
  return true;
}

bool argBytes(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out) {
  if (!argTyped(info, i, fn, out)) return false;
  if (out->type != napi_uint8_array)
    return typeError(info.Env(), fn, "argument " + std::to_string(i) + " must be a Uint8Array");
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

bool oneFloatType(const Napi::CallbackInfo& info, const char* fn,
                  std::initializer_list<const Arr*> arrays) {
  const Arr* first = nullptr;
  for (const Arr* a : arrays) {
    if (!a->present) continue;
    if (first == nullptr) first = a;
    else if (a->type != first->type)
      return typeError(info.Env(), fn, "float arrays must share one dtype");
  }
  return true;
}

#endif  // !TG_WASM

bool stridedInBounds(Index len, Index off, const std::vector<Index>& shape,
                     const std::vector<Index>& strides) {
  if (shape.size() != strides.size()) return false;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] < 0) return false;
    if (shape[d] == 0) return true;  // nothing is touched
  }
  // in double: exact below 2^53, and any larger span is out of bounds whatever its rounding
  double lo = double(off), hi = double(off);
  for (size_t d = 0; d < shape.size(); d++) {
    const double span = double(shape[d] - 1) * double(strides[d]);
    if (span < 0) lo += span;
    else hi += span;
  }
  return lo >= 0 && hi < double(len);
}

}  // namespace tg
