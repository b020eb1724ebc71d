// tensorgrad native backend: the storage of large tensors (Note [buffer pool]).
#include "buffers.h"

#include <v8.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#define TG_BUFFER_POOL 1
#else
#define TG_BUFFER_POOL 0
#endif

// Note [buffer pool]: a tensor's storage is an ArrayBuffer, freed only when V8's garbage
// collector finds it dead, so a training loop leaves tens of megabytes of dead buffers between
// collections and its heap grows into memory never touched before. On this machine (a VM) the
// first touch of a 4 KB page costs 20-35 us (measured: 64 MB touched page by page; with
// MADV_HUGEPAGE, 32 faults of 2 MB at 0.2-1 us per 4 KB when the guest has the memory at hand,
// ~15 us per 4 KB when it must first get it from the host), so early steps, and every step of
// a workload whose heap keeps growing, spend most of their time in page faults (MLP: 350 faults
// per step in the first steps). Buffers of kPoolMin bytes or more therefore come from this
// pool:
// - Memory is reserved in arenas of kArenaBytes, 2 MB aligned, marked MADV_HUGEPAGE
//   (transparent huge pages in "madvise" mode apply to them), so fresh memory faults in 2 MB
//   at a time; requests above kArenaBytes / 4 get their own mapping, marked the same way.
// - A request is rounded up to its size class (8 classes per doubling, at most 12.5% more) and
//   served from that class's free list, else carved from the current arena, one page more
//   than the class size so that its start can be staggered (see `stagger`).
// - The ArrayBuffer's backing store has a deleter (V8 calls it from the collector's sweeper,
//   possibly on a background thread: hence the mutex) that pushes the block back onto its free
//   list, so the next step's buffers of the same sizes reuse it: no fault, no zero fill.
// - The collection trigger: V8 counts these buffers' bytes (as every ArrayBuffer's) but checks
//   them only when its own allocator makes a buffer: past twice the semi-space size of young
//   buffer bytes, it first runs a scavenge, which frees the dead ones. Buffers made here bypass
//   that check, so without more the pool grew until an old-generation collection (matmul
//   n=512: 128 MB mapped and RSS 213 MB instead of 171 MB). So when a class has no freed block,
//   a one-byte ArrayBuffer from V8's allocator runs the check before a block is carved.
// - Freed blocks kept for reuse are capped at kCachedCap bytes; beyond that a freed block's
//   pages are returned to the kernel (MADV_DONTNEED, the address stays on its list and reads
//   as zeros when reused), so a program whose shapes change does not keep memory it no longer
//   uses.
// A block is never handed out twice: it is on a free list only between the deleter of the
// buffer that owned it and the next allocation that pops it. Buffers are uninitialised unless
// `zero` is asked for (fresh and released blocks are already zero). Node-API has no
// ArrayBuffer whose memory is released at collection (its external buffers run their finalizer
// on a later turn of the event loop, never during a synchronous loop), so the buffers are made
// with V8's API and handed to Node-API as the handle it wraps (Node-API's napi_value is a
// v8::Local's slot); `bufferPoolWorks` checks that identity once, and without it the
// TypeScript side keeps allocating its own buffers.
//
// Note [uncounted pool bytes]: V8 counts every ArrayBuffer's bytes as external memory and,
// at each scavenge and old-space slow path, starts an incremental mark-compact once the
// external bytes allocated since the last mark-compact pass the old generation's headroom
// less the new space's capacity (~7 MB on a 13 MB heap; `--trace-incremental-marking` shows
// "Start (allocation limit)" with ~23 MB of slack). A GPT training step holds ~40 MB of saved
// activations between its forward and backward, and hands them back to the pool when they die
// (Note [released saved temporaries]), yet V8 counts them while they live, so nearly every
// step ran a full mark-compact of the whole 13 MB heap (~5 ms) that found almost nothing
// to free. The pool therefore tells V8 not to count up to kUncountedCap bytes of its live
// buffers (AdjustAmountOfExternalAllocatedMemory(-bytes) before the buffer is made, which V8's
// own +bytes then cancels): like V8's own 64 MB external soft limit, this lets that many
// bytes wait for the next collection unseen, so memory stays bounded: at most kUncountedCap
// bytes more than V8 would have kept, per isolate. When such a buffer dies (detached or
// collected), V8 takes its bytes off the count; the deleter records them as owed and the
// isolate's thread adds them back (the buffer had never been counted) at its next pool call.
// (A detached buffer's bytes come off V8's count before its deleter runs; a collected one's
// when V8's sweeper finishes, which may be after its deleter ran on the sweeper's thread: the
// count then reads high by those bytes for a while, as it would have without this note.)
// The accounts are per isolate (a worker thread's buffers settle with its own isolate): a
// buffer's deleter data is its account's address ORed with its size class.
//
// Note [small pool blocks]: V8 runs a scavenge before it allocates an ArrayBuffer's memory
// whenever the young generation's ArrayBuffers hold twice the semi-space size or more (32 MB
// here; Heap::AllocateExternalBackingStore, "external memory pressure" in --trace-gc). A GPT
// step's forward leaves ~40 MB of saved activations in young pool buffers, so every small
// array V8 allocated after that point (a bias gradient, layer norm's weight gradient, ~50 per
// step) ran a scavenge: two per step, the first copying the whole live graph, the second
// promoting it, and the promoted graph then filled the old generation (a mark-compact every
// ~8 steps). So the pool serves every size from kPoolMin (64 bytes; V8 keeps smaller typed
// arrays inside its heap, with no such check) and only the pool's own trigger (Note [buffer
// pool]) asks V8 for memory: one scavenge per step, none of the mark-compacts. Blocks below
// kSmallMax are carved 64-byte aligned, back to back in the arena, without the stagger page of
// the large ones, and never have their pages released (neighbours share them); a large block
// starts on a page of its own.

namespace tg {
namespace {

#if TG_BUFFER_POOL

constexpr size_t kPoolMin = 64;
// Blocks below this many bytes are small (Note [small pool blocks]).
constexpr size_t kSmallMax = size_t(64) << 10;
constexpr size_t kPage = 4096;
constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kArenaBytes = size_t(64) << 20;
constexpr size_t kOwnMapping = kArenaBytes / 4;
constexpr size_t kCachedCap = size_t(256) << 20;
constexpr int kClassBits = 3;  // 2^kClassBits classes per doubling
constexpr int kMinLog = 6;     // log2(kPoolMin)
constexpr int kClasses = (48 - kMinLog) << kClassBits;

int log2Floor(size_t x) { return 63 - __builtin_clzll(x); }

// The size class of `bytes` (>= kPoolMin): its index and rounded size (a multiple of 8 KB
// from kSmallMax up, of 8 bytes below).
size_t roundUp(size_t bytes, int* cls) {
  const int e = log2Floor(bytes);
  const size_t step = size_t(1) << (e - kClassBits);
  const size_t rounded = (bytes + step - 1) / step * step;
  const int e2 = log2Floor(rounded);
  *cls = ((e2 - kMinLog) << kClassBits) + int(rounded >> (e2 - kClassBits)) - (1 << kClassBits);
  return rounded;
}

// A 2 MB aligned anonymous mapping of `bytes` (a multiple of 2 MB) marked for huge pages.
void* mapHuge(size_t bytes) {
  void* p = mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (start + kHugePage - 1) & ~uintptr_t(kHugePage - 1);
  // trim the unaligned head and the tail beyond `bytes`
  if (aligned > start) munmap(p, aligned - start);
  const uintptr_t end = aligned + bytes;
  const uintptr_t mapEnd = start + bytes + kHugePage;
  if (mapEnd > end) munmap(reinterpret_cast<void*>(end), mapEnd - end);
#ifdef MADV_HUGEPAGE
  madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
#endif
  return reinterpret_cast<void*>(aligned);
}

struct Block {
  char* p;
  bool zero;  // its pages were never touched or were released: reads as zeros
};

class BufferPool {
 public:
  // A block of class `cls` (rounded size `rounded`), or nullptr when the kernel refuses memory.
  Block take(int cls, size_t rounded) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<Block>& list = free_[cls];
      if (!list.empty()) {
        Block b = list.back();
        list.pop_back();
        if (!b.zero && rounded >= kSmallMax) cached_ -= rounded;
        return b;
      }
      if (rounded < kSmallMax) {
        // Note [small pool blocks]: 64-byte aligned, back to back, no stagger page
        const size_t at = (arenaUsed_ + 63) & ~size_t(63);
        if (arena_ == nullptr || at + rounded > kArenaBytes) {
          char* a = static_cast<char*>(mapHuge(kArenaBytes));
          if (a == nullptr) return {nullptr, false};
          mapped_ += kArenaBytes;
          arena_ = a;
          arenaUsed_ = rounded;
          return {a, true};
        }
        arenaUsed_ = at + rounded;
        return {arena_ + at, true};
      }
      if (rounded <= kOwnMapping) {
        // a large block starts on a page of its own (small blocks may end mid-page): `give`
        // releases its pages from that page start
        arenaUsed_ = (arenaUsed_ + kPage - 1) & ~(kPage - 1);
        if (arena_ == nullptr || arenaUsed_ + rounded + kPage > kArenaBytes) {
          char* a = static_cast<char*>(mapHuge(kArenaBytes));
          if (a == nullptr) return {nullptr, false};
          mapped_ += kArenaBytes;
          arena_ = a;  // the old arena's tail stays reserved, never touched
          arenaUsed_ = 0;
        }
        char* p = arena_ + arenaUsed_ + stagger();
        arenaUsed_ += rounded + kPage;
        return {p, true};
      }
    }
    const size_t mapped = (rounded + kPage + kHugePage - 1) & ~(kHugePage - 1);
    char* p = static_cast<char*>(mapHuge(mapped));
    if (p == nullptr) return {nullptr, false};
    {
      std::lock_guard<std::mutex> lock(mu_);
      mapped_ += mapped;
    }
    return {p + stagger(), true};
  }

  // Whether class `cls` has a freed block to hand out.
  bool hasFree(int cls) {
    std::lock_guard<std::mutex> lock(mu_);
    return !free_[cls].empty();
  }

  // Bytes mapped for blocks, bytes of freed blocks kept resident for reuse, freed blocks.
  void stats(size_t* mapped, size_t* cached, size_t* blocks) {
    std::lock_guard<std::mutex> lock(mu_);
    *mapped = mapped_;
    *cached = cached_;
    *blocks = 0;
    for (const std::vector<Block>& list : free_) *blocks += list.size();
  }

  // Back onto its free list (any thread).
  void give(char* p, int cls, size_t rounded) {
    std::lock_guard<std::mutex> lock(mu_);
    bool released = false;
    if (rounded < kSmallMax) {
      // Note [small pool blocks]: kept as they are (their pages are shared)
    } else if (cached_ + rounded > kCachedCap) {
      // the block's pages: from its page start (before the stagger) through the stagger's room
      char* start = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t(kPage - 1));
      madvise(start, rounded + kPage, MADV_DONTNEED);
      released = true;
    } else {
      cached_ += rounded;
    }
    free_[cls].push_back({p, released});
  }

 private:
  // The offset of a new block's data from its page start: successive blocks get different
  // multiples of 64 bytes (mod 4 KB). Blocks of power-of-two sizes carved back to back would
  // otherwise start at addresses equal mod 4 KB (and mod 1 MB), so a kernel reading one and
  // writing another at the same index hits the CPU's 4K-aliasing stalls and cache-set conflicts,
  // which glibc's 16-byte chunk headers happen to avoid.
  size_t stagger() {
    const size_t n = carved_.fetch_add(1, std::memory_order_relaxed) + 1;
    return (n * 11 % (kPage / 64)) * 64;
  }

  std::mutex mu_;
  std::atomic<size_t> carved_{0};
  std::vector<Block> free_[kClasses];
  size_t cached_ = 0;  // bytes on the free lists whose pages are still resident
  size_t mapped_ = 0;  // bytes of every arena and own mapping
  char* arena_ = nullptr;
  size_t arenaUsed_ = 0;
};

// Never destroyed: V8 may free buffers while the process exits.
BufferPool& bufferPool() {
  static BufferPool* p = new BufferPool();
  return *p;
}

// Note [uncounted pool bytes]: at most this many bytes of an isolate's live pool buffers are
// kept off V8's external-memory count.
constexpr int64_t kUncountedCap = int64_t(64) << 20;

// One isolate's uncounted bytes (its live buffers V8 does not count) and owed bytes (dead
// uncounted buffers whose bytes V8 has taken off its count: added back at the next pool call).
// Aligned so that a size class fits in the low bits of its address.
struct alignas(1024) Account {
  std::atomic<int64_t> uncounted{0}, owed{0};
};
constexpr uintptr_t kClassMask = 1023;
static_assert(kClasses <= int(kClassMask) + 1, "size classes fit in an Account's alignment");

// The calling thread's isolate's account (one isolate per thread in Node; never freed: buffers
// may die after their isolate).
Account& ownAccount() {
  thread_local Account* a = new Account();
  return *a;
}

// Hand V8 back the bytes of this isolate's dead uncounted buffers (its own thread only).
void settle(v8::Isolate* isolate, Account& a) {
  const int64_t owed = a.owed.exchange(0, std::memory_order_acq_rel);
  if (owed != 0) isolate->AdjustAmountOfExternalAllocatedMemory(owed);
}

void releaseBlock(void* data, size_t length, void* tag) {
  const uintptr_t t = reinterpret_cast<uintptr_t>(tag);
  const int c = int(t & kClassMask);
  if (Account* a = reinterpret_cast<Account*>(t & ~kClassMask)) {
    a->uncounted.fetch_sub(int64_t(length), std::memory_order_relaxed);
    a->owed.fetch_add(int64_t(length), std::memory_order_acq_rel);
  }
  // the rounded size from the class index: the inverse of roundUp
  const int e = (c >> kClassBits) + kMinLog;
  const size_t rounded =
      (size_t((c & ((1 << kClassBits) - 1)) + (1 << kClassBits))) << (e - kClassBits);
  bufferPool().give(static_cast<char*>(data), c, rounded);
}

napi_value toNapi(v8::Local<v8::Value> v) {
  static_assert(sizeof(v8::Local<v8::Value>) == sizeof(napi_value), "Node-API handle layout");
  napi_value out;
  std::memcpy(static_cast<void*>(&out), static_cast<const void*>(&v), sizeof out);
  return out;
}

// allocBuffer(bytes, zero): an ArrayBuffer of `bytes` (>= 64) from the pool, zero-filled
// when `zero` is true, else uninitialised.
Napi::Value AllocBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBoolean()) {
    Napi::TypeError::New(env, "allocBuffer(bytes, zero) expects a number and a boolean")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double want = info[0].As<Napi::Number>().DoubleValue();
  if (!(want >= double(kPoolMin)) || want > double(size_t(1) << 46) ||
      want != double(size_t(want))) {
    Napi::RangeError::New(env, "allocBuffer: bytes must be an integer of at least 64")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t bytes = size_t(want);
  int cls;
  const size_t rounded = roundUp(bytes, &cls);
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (!bufferPool().hasFree(cls)) {
    // Note [buffer pool]'s collection trigger: a one-byte ArrayBuffer from V8's own allocator
    // runs its check of the young generation's buffer bytes, which this pool's buffers bypass.
    v8::ArrayBuffer::New(isolate, 1);
  }
  Block b = bufferPool().take(cls, rounded);
  if (b.p == nullptr) return env.Null();  // the caller allocates its own
  if (info[1].As<Napi::Boolean>().Value() && !b.zero) std::memset(b.p, 0, bytes);
  // Note [uncounted pool bytes]
  Account& account = ownAccount();
  settle(isolate, account);
  uintptr_t tag = uintptr_t(cls);
  if (account.uncounted.load(std::memory_order_relaxed) + int64_t(bytes) <= kUncountedCap) {
    account.uncounted.fetch_add(int64_t(bytes), std::memory_order_relaxed);
    isolate->AdjustAmountOfExternalAllocatedMemory(-int64_t(bytes));
    tag |= reinterpret_cast<uintptr_t>(&account);
  }
  std::unique_ptr<v8::BackingStore> store =
      v8::ArrayBuffer::NewBackingStore(b.p, bytes, releaseBlock, reinterpret_cast<void*>(tag));
  return Napi::Value(env, toNapi(v8::ArrayBuffer::New(isolate, std::move(store))));
}

// releaseBuffer(buffer): detach an ArrayBuffer that allocBuffer made and that its caller knows no
// other code can reach (Note [released gradients], src/autograd/engine.ts). Detaching drops the
// buffer's reference to its backing store, so the store's deleter hands the block back to its
// free list now instead of at the garbage collection that would find the buffer dead, and V8
// takes the bytes off its external-memory count (which schedules those collections). Every view
// of the buffer reads as empty afterwards. Returns whether the buffer was detached.
Napi::Value ReleaseBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) {
    Napi::TypeError::New(env, "releaseBuffer(buffer) expects an ArrayBuffer")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  if (ab.ByteLength() < kPoolMin) return Napi::Boolean::New(env, false);
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, ab, &detached) != napi_ok || detached)
    return Napi::Boolean::New(env, false);
  const bool done = napi_detach_arraybuffer(env, ab) == napi_ok;
  // (the block's deleter has run if this was its last holder: its bytes, if uncounted, go
  // back on V8's count now: Note [uncounted pool bytes])
  settle(v8::Isolate::GetCurrent(), ownAccount());
  return Napi::Boolean::New(env, done);
}

// bufferPoolStats(): { mapped, cached } in bytes and the number of freed blocks (`free`) (the
// tests check reuse with it); this isolate's live pool bytes V8 does not count (`uncounted`)
// and V8's external-memory count (`external`), after settling (Note [uncounted pool bytes]).
Napi::Value BufferPoolStats(const Napi::CallbackInfo& info) {
  size_t mapped = 0, cached = 0, blocks = 0;
  bufferPool().stats(&mapped, &cached, &blocks);
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  Account& account = ownAccount();
  settle(isolate, account);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("mapped", Napi::Number::New(info.Env(), double(mapped)));
  o.Set("cached", Napi::Number::New(info.Env(), double(cached)));
  o.Set("free", Napi::Number::New(info.Env(), double(blocks)));
  o.Set("uncounted",
        Napi::Number::New(info.Env(), double(account.uncounted.load(std::memory_order_relaxed))));
  o.Set("external",
        Napi::Number::New(info.Env(), double(isolate->AdjustAmountOfExternalAllocatedMemory(0))));
  return o;
}

// Whether a v8::Local passed as a napi_value reads back as the same value in this Node.
bool bufferPoolWorks(Napi::Env env) {
  if (const char* off = std::getenv("TENSORGRAD_BUFFER_POOL"); off && std::strcmp(off, "0") == 0)
    return false;
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate == nullptr) return false;
  const double probe = 1234.5;
  napi_value v = toNapi(v8::Number::New(isolate, probe));
  double back = 0;
  if (napi_get_value_double(env, v, &back) != napi_ok || back != probe) return false;
  bool isAb = false;
  napi_value ab = toNapi(v8::ArrayBuffer::New(isolate, 16));
  size_t len = 0;
  void* data = nullptr;
  return napi_is_arraybuffer(env, ab, &isAb) == napi_ok && isAb &&
         napi_get_arraybuffer_info(env, ab, &data, &len) == napi_ok && len == 16;
}

#endif  // TG_BUFFER_POOL

}  // namespace

void registerBufferPool(Napi::Env env, Napi::Object exports) {
#if TG_BUFFER_POOL
  if (bufferPoolWorks(env)) {
    exports.Set("allocBuffer", Napi::Function::New(env, AllocBuffer, "allocBuffer"));
    exports.Set("releaseBuffer", Napi::Function::New(env, ReleaseBuffer, "releaseBuffer"));
    exports.Set("bufferPoolStats", Napi::Function::New(env, BufferPoolStats, "bufferPoolStats"));
    exports.Set("poolMinBytes", Napi::Number::New(env, double(kPoolMin)));
  }
#else
  (void)env;
  (void)exports;
#endif
}

}  // namespace tg
