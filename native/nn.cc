// tensorgrad native backend: nn kernels.
#include "common.h"

namespace tg {
void registerNn(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}
}  // namespace tg
