// tensorgrad native backend: what every kernel file shares: the index type, x86 feature
// detection, the thread pool, and Node-API argument helpers.
//
// Kernel files (one per kernel family) define the bindings declared in abi.gen.h, generated
// from src/backend/abi.ts together with their argument parsing; addon.cc registers them all
// (registerKernels). Every binding validates its arguments (types, dtypes, and that every
// element index it will touch lies inside the typed arrays) before touching memory, so a bad
// call throws a JavaScript error instead of reading out of bounds.
#pragma once

#include <napi.h>  // the WebAssembly build's is native/wasm/napi.h

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

// The WebAssembly builds (native/wasm/build.sh). Debian's wasm32 libc++ has no threads, so
// there is no std::thread pool: the single-threaded module runs every task of runTasks and
// parallelFor on the calling thread; the threaded one (-matomics, shared memory: TG_WASM_THREADS)
// has workers the host starts (src/backend/wasm-threads.ts) that run tasks through common.cc's
// Note [wasm pool].
#if defined(__wasm__)
#define TG_WASM 1
#include <wasm_simd128.h>
#if defined(__wasm_atomics__)
#define TG_WASM_THREADS 1
#else
#define TG_WASM_THREADS 0
#endif
#else
#define TG_WASM 0
#define TG_WASM_THREADS 0
#include <condition_variable>
#include <mutex>
#include <thread>
#endif

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define TG_X86 1
#include <immintrin.h>
#else
#define TG_X86 0
#endif

namespace tg {

using Index = int64_t;

// The instruction sets kernels may use, checked once at load: SIMD code lives in functions
// marked __attribute__((target(...))) and is only called when the level allows it, so one
// build runs on any x86-64. AVX-512F is used by the matmul micro-kernels (on CPUs that split
// 512-bit FMAs in two, as AMD's Zen 4, it runs at the AVX2 kernels' speed; elsewhere it has
// twice their peak); every other kernel family has AVX2 and portable paths.
enum SimdLevel : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
extern const int kBestSimd;
// setKernel("scalar" | "avx2" | "auto") lowers the level (tests compare the paths).
extern std::atomic<int> simdLevel;
inline bool avx2() { return simdLevel.load(std::memory_order_relaxed) >= kAvx2; }
inline bool avx512() { return simdLevel.load(std::memory_order_relaxed) >= kAvx512; }
// The level's name: "avx512f", "avx2-fma" or "scalar".
const char* simdName(int level);

// ---------------------------------------------------------------------------------------------
// Thread pool. Note [pool handoff]: a kernel call is tens of microseconds, about what it
// costs to wake a sleeping thread through a condition variable on this machine (measured: a
// 128^3 float product took 45 us on one thread and 82 us on two with sleep/wake handoffs). So
// workers spin on the job word for a short while after each job before they sleep, and the
// caller spins until its job's tasks are done. The job word packs generation, task count and
// next task index into one 64-bit atomic: a worker claims a task with one compare-and-swap,
// which fails if the job has changed, so a late worker can never run a task of a newer job
// with an older job's view (or the reverse).
//
// Note [yielding spin]: a spinning worker gives its core away (sched_yield) every 64 pauses, a
// few microseconds. On an idle core the call returns at once, so the handoff stays as quick;
// on a shared machine a worker that only paused held its core through all of kSpinFor after
// every job, a runnable thread the scheduler shares both cores with, so the caller (which runs
// the step's JavaScript and small kernels alone) got less of a core than a one-thread process
// would. Measured, MLP step on two threads, 6 alternating whole-process pairs at load 16-25
// (other processes on both cores): CPU time per step 1.22-1.51 ms vs 1.57-2.09 ms before,
// voluntary context switches (the worker's sleeps) 0.28-0.36 per step vs 0.80-1.10, wall
// time lower in 5 of 6 pairs.

#if !TG_WASM
class Pool {
 public:
  ~Pool() { resize(0); }
  size_t size() const { return workers_.size() + 1; }
  void resize(size_t threads);  // total threads including the caller
  void run(size_t tasks, const std::function<void(size_t)>& fn);

 private:
  bool claimAndRun(uint64_t gen);  // run tasks of job `gen` until none is left; false if none
  void loop(uint64_t seen);  // a worker: run the tasks of every job after generation `seen`

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void(size_t)>* fn_ = nullptr;
  std::atomic<uint64_t> job_{0};  // generation << 40 | tasks << 20 | next index
  std::atomic<size_t> pending_{0};  // tasks of the current job not finished
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

extern Pool pool;
extern std::mutex poolUse;  // one user of the pool at a time (worker_threads may share the addon)
#endif
extern size_t numThreads;   // torch.setNumThreads; default: hardware concurrency

#if TG_WASM_THREADS
// A worker of the threaded WebAssembly module: runs the pool's tasks forever (Note [wasm pool]).
[[noreturn]] void wasmWorkerLoop();
// Tasks the workers have run (tg_worker_tasks).
extern std::atomic<uint32_t> wasmWorkerTasks;
// The work per thread a split needs, in multiples of the native pool's (Note [wasm grain]).
extern size_t wasmGrain;
#endif

// Run fn(0..tasks-1) on up to `threads` threads (the pool when it is free, else inline).
void runTasks(size_t tasks, size_t threads, const std::function<void(size_t)>& fn);

// Split [0, n) into contiguous chunks, one per thread, when n >= 2 * minPerThread (else one
// chunk on the calling thread), and run fn(lo, hi) on each. Chunk edges are multiples of
// `align` so SIMD loops only see a ragged end in the last chunk.
void parallelFor(Index n, Index minPerThread, const std::function<void(Index, Index)>& fn,
                 Index align = 16);

// The sum of n contiguous values, accumulated in double (AVX2 partial sums where available;
// reduce.cc). Shared by the reductions and the convolution bias gradient.
double sumInDouble(const float* a, Index n);
double sumInDouble(const double* a, Index n);

// ---------------------------------------------------------------------------------------------
// Node-API argument helpers. Each returns false after throwing a JavaScript TypeError naming
// the function and the argument.

// A JS number argument as an integer.
bool argInt(const Napi::CallbackInfo& info, size_t i, const char* fn, Index* out);
// A JS number argument as a double.
bool argNumber(const Napi::CallbackInfo& info, size_t i, const char* fn, double* out);
// A typed-array argument: the address of its first element, its type and length; `present`
// is false for an optional argument passed as null.
struct Arr {
  void* data = nullptr;
  napi_typedarray_type type = napi_float32_array;
  Index len = 0;
  bool present = false;
};
// Any typed array.
bool argTyped(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out);
// A Float32Array or Float64Array.
bool argFloat(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out);
// A Float32Array, a Float64Array, or null (then out->present stays false).
bool argOptFloat(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out);
// A Float64Array (int64 tensors are stored as doubles: Note [int64 storage]).
bool argF64(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out);
// A Uint8Array (bool tensors).
bool argBytes(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out);
// An array of JS numbers as integers (shapes, strides).
bool argIntArray(const Napi::CallbackInfo& info, size_t i, const char* fn, std::vector<Index>* out);
// Whether the float arrays given (absent ones skipped) share one type; else a TypeError.
bool oneFloatType(const Napi::CallbackInfo& info, const char* fn,
                  std::initializer_list<const Arr*> arrays);
// Throw a RangeError "<fn>: <what>" and return false.
bool rangeError(const Napi::Env& env, const char* fn, const std::string& what);
// Throw a TypeError "<fn>: <what>" and return false.
bool typeError(const Napi::Env& env, const char* fn, const std::string& what);

// Whether a strided walk (shape, strides from off) stays inside [0, len).
bool stridedInBounds(Index len, Index off, const std::vector<Index>& shape,
                     const std::vector<Index>& strides);

// out (m x n, contiguous) = A @ B in double with matmul.cc's packed kernels and threads; A and B
// read through (row, column) strides. For the blocked factorizations of linalg.cc.
void matmulF64(const double* a, Index aRow, Index aCol, const double* b, Index bRow, Index bCol,
               double* out, Index m, Index k, Index n);

}  // namespace tg
