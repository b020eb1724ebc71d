#!/bin/sh
# Builds the WebAssembly backend, native/wasm/tensorgrad.wasm, from the native kernels
# (native/*.cc, unchanged; all but sort.cc, Note [wasm families] in shim.cc), the generated argument parsing (native/abi.gen.cc) and the shim
# (native/wasm/shim.cc, napi.h). Needs Debian's clang, lld, wasi-libc and the wasm32 libc++
# (clang-14 lld-14 wasi-libc libc++-14-dev-wasm32 libc++abi-14-dev-wasm32
# libclang-rt-14-dev-wasm32); users and fresh clones do not: the built module is committed, and
# scripts/gen-wasm.mjs embeds it in src/generated/wasm-module.ts.
#
# Note [wasm reproducibility]: the output depends only on the sources and the toolchain's
# version: no timestamps or paths end up in the module (-ffile-prefix-map, no debug info, and
# the names section stripped), so test/wasm.test.ts rebuilds it where clang is present and
# compares bytes with the committed file.
#
#   sh native/wasm/build.sh [out.wasm]
set -eu
# (-Dthread_local=static: one thread, so the kernels' per-thread scratch buffers are plain statics;
# wasm-ld accepts thread-local storage only with the atomics feature and shared memory)
here=$(cd "$(dirname "$0")" && pwd)
native=$(dirname "$here")
out=${1:-$here/tensorgrad.wasm}
CXX=${TG_WASM_CXX:-clang++-14}
command -v "$CXX" >/dev/null 2>&1 || CXX=clang++
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objs=""
for src in common elementwise copy scatter reduce matmul conv pooling resample optim \
  activation norm rnn linalg linalg-complex fft abi.gen wasm/shim; do
  obj="$tmp/$(echo "$src" | tr / _).o"
  "$CXX" --target=wasm32-wasi \
    -I"$here" -std=c++17 -O3 -msimd128 -mbulk-memory -mnontrapping-fptoint -msign-ext \
    -fno-exceptions -fno-rtti -Dthread_local=static -DNDEBUG -ffile-prefix-map="$native"=native \
    -c "$native/$src.cc" -o "$obj"
  objs="$objs $obj"
done
# a reactor (no main): the host calls _initialize, then the exports
"$CXX" --target=wasm32-wasi -mexec-model=reactor -nostartfiles \
  /usr/lib/wasm32-wasi/crt1-reactor.o $objs -o "$out" \
  -Wl,--strip-all -Wl,--export=_initialize -Wl,-z,stack-size=1048576 -Wl,--initial-memory=4194304 \
  -Wl,--max-memory=4294967296 -O3
