// tensorgrad native backend: reduce kernels.
#include "common.h"

namespace tg {
void registerReduce(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}
}  // namespace tg
