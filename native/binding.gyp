# Node-API addon for tensorgrad's native backend (built by `npm run build:native`).
# -O3 only, no -march: the AVX2/FMA kernels carry their own target attributes and are chosen
# at run time, so one build runs on any x86-64.
{
  "targets": [
    {
      "target_name": "tensorgrad_native",
      "sources": [
        "addon.cc",
        "buffers.cc",
        "abi.gen.cc",
        "common.cc",
        "elementwise.cc",
        "copy.cc",
        "scatter.cc",
        "reduce.cc",
        "matmul.cc",
        "conv.cc",
        "pooling.cc",
        "resample.cc",
        "optim.cc",
        "sort.cc",
        "activation.cc",
        "norm.cc",
        "linalg.cc",
        "linalg-complex.cc",
        "fft.cc",
        "rnn.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=c++17", "-O2"],
      "cflags_cc": ["-std=c++17", "-O3", "-pthread"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3"
      },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
    }
  ]
}
