// tensorgrad WebAssembly backend: the module's entry points and the argument helpers of
// common.h for the wasm build (Note [wasm calls], napi.h). The kernels are native/<family>.cc
// and the argument parsing native/abi.gen.cc, unchanged.
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "../abi.gen.h"

#define TG_EXPORT(name) extern "C" __attribute__((export_name(#name)))

namespace {

struct Binding {
  const char* name;
  Napi::Callback fn;
};
std::vector<Binding> bindings;
int errorKind = 0;
std::string errorMessage;

// The argument slots of a call (wasm.ts writes them before tg_call): more than any binding has.
constexpr size_t kMaxArgs = 32;
Napi::Slot slots[kMaxArgs];

using tg::Index;
using Tag = Napi::Slot::Tag;

std::string nth(size_t i) { return "argument " + std::to_string(i); }

}  // namespace

void Napi::recordError(int kind, const std::string& message) {
  if (errorKind != 0) return;  // the first error is the one JavaScript would have seen
  errorKind = kind;
  errorMessage = message;
}

void Napi::Object::Set(const char* name, const Function& f) { bindings.push_back({name, f.fn}); }

namespace tg {

bool argInt(const Napi::CallbackInfo& info, size_t i, const char* fn, Index* out) {
  if (i >= info.Length() || info.slot(i).tag != Tag::kNumber)
    return typeError(info.Env(), fn, nth(i) + " must be a number");
  // as common.cc: an integer of at most 2^53 in magnitude
  const double d = info.slot(i).a;
  if (!(std::fabs(d) <= 9007199254740992.0) || d != std::trunc(d))
    return typeError(info.Env(), fn, nth(i) + " must be an integer");
  *out = Index(d);
  return true;
}

bool argNumber(const Napi::CallbackInfo& info, size_t i, const char* fn, double* out) {
  if (i >= info.Length() || info.slot(i).tag != Tag::kNumber)
    return typeError(info.Env(), fn, nth(i) + " must be a number");
  *out = info.slot(i).a;
  return true;
}

bool argTyped(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out) {
  if (i >= info.Length() || info.slot(i).tag != Tag::kTypedArray)
    return typeError(info.Env(), fn, nth(i) + " must be a typed array");
  const Napi::Slot& s = info.slot(i);
  out->data = reinterpret_cast<void*>(uintptr_t(s.a));
  out->len = Index(s.b);
  out->type = napi_typedarray_type(int(s.c));
  out->present = true;
  return true;
}

bool argFloat(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out) {
  if (!argTyped(info, i, fn, out)) return false;
  if (out->type != napi_float32_array && out->type != napi_float64_array)
    return typeError(info.Env(), fn, nth(i) + " must be a Float32Array or Float64Array");
  return true;
}

bool argOptFloat(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out) {
  if (i < info.Length() && info.slot(i).tag == Tag::kNull) return true;
  return argFloat(info, i, fn, out);
}

bool argF64(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out) {
  if (!argTyped(info, i, fn, out)) return false;
  if (out->type != napi_float64_array)
    return typeError(info.Env(), fn, nth(i) + " must be a Float64Array");
  return true;
}

bool argBytes(const Napi::CallbackInfo& info, size_t i, const char* fn, Arr* out) {
  if (!argTyped(info, i, fn, out)) return false;
  if (out->type != napi_uint8_array)
    return typeError(info.Env(), fn, nth(i) + " must be a Uint8Array");
  return true;
}

bool argIntArray(const Napi::CallbackInfo& info, size_t i, const char* fn,
                 std::vector<Index>* out) {
  if (i >= info.Length() || info.slot(i).tag != Tag::kArray)
    return typeError(info.Env(), fn, nth(i) + " must be an array");
  const Napi::Slot& s = info.slot(i);
  const double* v = reinterpret_cast<const double*>(uintptr_t(s.a));
  out->resize(size_t(s.b));
  // (wasm.ts writes NaN for an element that is not a number)
  for (size_t j = 0; j < out->size(); j++) {
    if (std::isnan(v[j])) return typeError(info.Env(), fn, nth(i) + " must be an array of numbers");
    // as Napi's Int64Value: truncation, saturating
    const double d = std::trunc(v[j]);
    (*out)[j] = d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : Index(d);
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

// Note [wasm families]: the sort family is not in the module: its tie order replays
// libstdc++'s heap steps (introsort.h), which the wasm32 libc++ does not have. wasm.ts does not
// route sort calls here (its TypeScript twins run); these stand in for the bindings.
Napi::Value run(const Napi::CallbackInfo& info, const args::sortRows&) {
  typeError(info.Env(), "sortRows", "not in the WebAssembly build");
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::topkRows&) {
  typeError(info.Env(), "topkRows", "not in the WebAssembly build");
  return info.Env().Undefined();
}

}  // namespace tg

// ---------------------------------------------------------------------------------------------
// Entry points (src/backend/wasm.ts)

// Registers the bindings (the addon's registerKernels); returns how many there are.
TG_EXPORT(tg_init) int tgInit() {
  if (bindings.empty()) {
    Napi::Object exports;
    tg::registerKernels(Napi::Env(), exports);
  }
  return int(bindings.size());
}

TG_EXPORT(tg_binding_name) const char* tgBindingName(int i) { return bindings[size_t(i)].name; }

// The argument slots (kMaxArgs of them).
TG_EXPORT(tg_slots) Napi::Slot* tgSlots() { return slots; }

TG_EXPORT(tg_max_args) int tgMaxArgs() { return int(kMaxArgs); }

// Runs binding i on the first `count` slots; returns the error kind (0: none).
TG_EXPORT(tg_call) int tgCall(int i, int count) {
  errorKind = 0;
  errorMessage.clear();
  bindings[size_t(i)].fn(Napi::CallbackInfo(slots, size_t(count)));
  return errorKind;
}

TG_EXPORT(tg_error_message) const char* tgErrorMessage() { return errorMessage.c_str(); }

TG_EXPORT(tg_malloc) void* tgMalloc(size_t bytes) { return std::aligned_alloc(16, (bytes + 15) / 16 * 16); }

TG_EXPORT(tg_free) void tgFree(void* p) { std::free(p); }


#if TG_WASM_THREADS
// ---------------------------------------------------------------------------------------------
// The threaded module (Note [wasm pool], common.cc)

// A worker's entry point (src/backend/wasm-threads.ts): runs the pool's tasks; never returns.
TG_EXPORT(tg_worker) void tgWorker() { tg::wasmWorkerLoop(); }

// The threads kernels may use, the caller included (the host has started n - 1 workers).
TG_EXPORT(tg_set_threads) void tgSetThreads(int n) { tg::numThreads = size_t(n < 1 ? 1 : n); }

// The work per thread a split needs, in multiples of the native pool's (Note [wasm grain]).
TG_EXPORT(tg_set_grain) void tgSetGrain(int g) { tg::wasmGrain = size_t(g < 1 ? 1 : g); }

// The tasks the workers have run so far (test/wasm.test.ts, test/browser.test.ts).
TG_EXPORT(tg_worker_tasks) uint32_t tgWorkerTasks() {
  return tg::wasmWorkerTasks.load(std::memory_order_relaxed);
}

// Note [wasm malloc lock]: wasi-libc's allocator (dlmalloc, built without threads) has no lock,
// and kernels running on workers allocate (their thread_local scratch buffers grow on demand,
// std::vector temporaries). build.sh links every call of the allocator through these wrappers
// (wasm-ld --wrap), which take one spin lock: allocation is rare next to the arithmetic.
namespace {
std::atomic<bool> heapLock{false};
struct HeapGuard {
  HeapGuard() {
    while (heapLock.exchange(true, std::memory_order_acquire)) {
    }
  }
  ~HeapGuard() { heapLock.store(false, std::memory_order_release); }
};
}  // namespace

extern "C" {
// The C++ runtime's registration of a thread_local object's destructor (libc++abi's
// non-threaded build has none): the workers never exit, so there is nothing to run.
int __cxa_thread_atexit(void (*)(void*), void*, void*) { return 0; }

void* __real_malloc(size_t);
void __real_free(void*);
void* __real_calloc(size_t, size_t);
void* __real_realloc(void*, size_t);
void* __real_aligned_alloc(size_t, size_t);
int __real_posix_memalign(void**, size_t, size_t);

void* __wrap_malloc(size_t n) {
  HeapGuard g;
  return __real_malloc(n);
}
void __wrap_free(void* p) {
  HeapGuard g;
  __real_free(p);
}
void* __wrap_calloc(size_t n, size_t size) {
  HeapGuard g;
  return __real_calloc(n, size);
}
void* __wrap_realloc(void* p, size_t n) {
  HeapGuard g;
  return __real_realloc(p, n);
}
void* __wrap_aligned_alloc(size_t align, size_t n) {
  HeapGuard g;
  return __real_aligned_alloc(align, n);
}
int __wrap_posix_memalign(void** out, size_t align, size_t n) {
  HeapGuard g;
  return __real_posix_memalign(out, align, n);
}
}
#endif
