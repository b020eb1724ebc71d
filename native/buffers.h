// tensorgrad native backend: the pool of large tensor buffers (Note [buffer pool], buffers.cc).
#pragma once

#include <napi.h>

namespace tg {

// Adds allocBuffer(bytes, zero), releaseBuffer(buffer) and bufferPoolStats() to the exports when this Node lets the
// pool hand out its ArrayBuffers (and TENSORGRAD_BUFFER_POOL is not "0").
void registerBufferPool(Napi::Env env, Napi::Object exports);

}  // namespace tg
