// tensorgrad native backend: elementwise kernels.
#include "common.h"

namespace tg {
void registerElementwise(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}
}  // namespace tg
