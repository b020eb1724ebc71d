// tensorgrad WebAssembly backend: the sliver of node-addon-api that the kernel files use, for
// the wasm build (native/wasm/build.sh puts this directory first on the include path, so
// `#include <napi.h>` finds it). The kernels and the generated argument parsing
// (native/abi.gen.cc) compile unchanged against it.
//
// Note [wasm calls]: JavaScript (src/backend/wasm.ts) writes a call's arguments into an array
// of slots in the module's memory, one Slot per argument (the tags below), then calls
// tg_call(binding, count). A CallbackInfo is a view of those slots; an error thrown "as a
// JavaScript exception" is recorded (tg_error_kind, tg_error_message) and thrown by wasm.ts
// once the call returns. Typed arrays were copied into the module's memory by wasm.ts: a slot
// holds their address there.
#pragma once

#include <cstddef>
#include <string>

// Node-API's typed array types, with its values.
typedef enum {
  napi_int8_array,
  napi_uint8_array,
  napi_uint8_clamped_array,
  napi_int16_array,
  napi_uint16_array,
  napi_int32_array,
  napi_uint32_array,
  napi_float32_array,
  napi_float64_array,
  napi_bigint64_array,
  napi_biguint64_array,
} napi_typedarray_type;

namespace Napi {

// One argument: tag, then up to three numbers (src/backend/wasm.ts writes them).
//   kUndefined;  kNumber: a = the value;  kNull;
//   kTypedArray: a = address, b = length in elements, c = napi_typedarray_type;
//   kArray (of numbers): a = address of b doubles.
struct Slot {
  enum Tag : int { kUndefined = 0, kNumber = 1, kNull = 2, kTypedArray = 3, kArray = 4 };
  double tag, a, b, c;
};

class Value {};

class Env {
 public:
  Value Undefined() const { return Value(); }
};

class CallbackInfo {
 public:
  CallbackInfo(const Slot* slots, size_t count) : slots_(slots), count_(count) {}
  Napi::Env Env() const { return Napi::Env(); }
  size_t Length() const { return count_; }
  const Slot& slot(size_t i) const { return slots_[i]; }

 private:
  const Slot* slots_;
  size_t count_;
};

// A pending error: kind 1 TypeError, 2 RangeError (0: none).
void recordError(int kind, const std::string& message);

class Error {
 public:
  void ThrowAsJavaScriptException() const { recordError(kind_, message_); }

 protected:
  Error(int kind, std::string message) : kind_(kind), message_(std::move(message)) {}

 private:
  int kind_;
  std::string message_;
};

class TypeError : public Error {
 public:
  static TypeError New(Napi::Env, const std::string& message) { return TypeError(message); }

 private:
  explicit TypeError(const std::string& message) : Error(1, message) {}
};

class RangeError : public Error {
 public:
  static RangeError New(Napi::Env, const std::string& message) { return RangeError(message); }

 private:
  explicit RangeError(const std::string& message) : Error(2, message) {}
};

using Callback = Value (*)(const CallbackInfo&);

class Function {
 public:
  static Function New(Napi::Env, Callback fn, const char*) { return Function(fn); }
  Callback fn;

 private:
  explicit Function(Callback f) : fn(f) {}
};

// The exports object: Set adds a binding to the module's table (tg_binding_name, tg_call).
class Object {
 public:
  void Set(const char* name, const Function& f);
};

}  // namespace Napi
