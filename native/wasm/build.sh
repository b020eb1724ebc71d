#!/bin/sh
# Builds the WebAssembly backend, native/wasm/tensorgrad.wasm, from the native kernels
# (native/*.cc, unchanged; all but sort.cc, Note [wasm families] in shim.cc), the generated argument parsing (native/abi.gen.cc) and the shim
# (native/wasm/shim.cc, napi.h). Needs Debian's clang, lld, wasi-libc and the wasm32 libc++
# (clang-14 lld-14 wasi-libc libc++-14-dev-wasm32 libc++abi-14-dev-wasm32
# libclang-rt-14-dev-wasm32; llvm-14 for llvm-objdump); users and fresh clones do not: the built
# modules are committed: scripts/build-wasm.mjs embeds them in src/backend/wasm-module*.gen.ts.
#
# Note [wasm reproducibility]: the output depends only on the sources and the toolchain's
# version: no timestamps or paths end up in the module (-ffile-prefix-map, no debug info, and
# the names section stripped), so test/wasm.test.ts rebuilds it where clang is present and
# compares bytes with the committed file.
#
# Four modules: out.wasm runs on one thread, out-threads.wasm (-matomics, memory imported and
# shared, real thread_local) on the workers of src/backend/wasm-threads.ts where
# SharedArrayBuffer exists (Node; a cross-origin isolated page); each has a relaxed SIMD twin
# (out-relaxed.wasm, out-threads-relaxed.wasm: Note [wasm relaxed fma] in matmul.cc). wasi-libc here has no
# wasm32-wasi-threads build, so its (thread-unaware) objects are linked with
# --no-check-features: the allocator goes through shim.cc's lock (Note [wasm malloc lock]),
# and the workers only run kernels, which touch no other libc state but errno.
#
#   sh native/wasm/build.sh [out.wasm]     (also writes out-threads.wasm, out-relaxed.wasm and
#                                           out-threads-relaxed.wasm beside it)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
native=$(dirname "$here")
out=${1:-$here/tensorgrad.wasm}
outThreads=${out%.wasm}-threads.wasm
CXX=${TG_WASM_CXX:-clang++-14}
command -v "$CXX" >/dev/null 2>&1 || CXX=clang++
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common="-I$here -std=c++17 -O3 -msimd128 -mbulk-memory -mnontrapping-fptoint -msign-ext \
  -fno-exceptions -fno-rtti -DNDEBUG -ffile-prefix-map=$native=native"
# build <variant> <output> <compile flags> <link flags>: the module, and beside it its relaxed
# SIMD build (<output>-relaxed.wasm: matmul.cc with TG_WASM_RELAXED, Note [wasm relaxed fma];
# scripts/build-wasm.mjs then gives its fused multiply-adds their final encoding)
build() {
  objs=""
  for src in common elementwise copy scatter reduce matmul conv pooling resample optim \
    activation norm rnn linalg linalg-complex fft abi.gen wasm/shim; do
    obj="$tmp/$1_$(echo "$src" | tr / _).o"
    # shellcheck disable=SC2086
    "$CXX" --target=wasm32-wasi $common $3 -c "$native/$src.cc" -o "$obj"
    objs="$objs $obj"
  done
  # shellcheck disable=SC2086
  "$CXX" --target=wasm32-wasi $common $3 -DTG_WASM_RELAXED -c "$native/matmul.cc" \
    -o "$tmp/$1_matmul_relaxed.o"
  link "$2" "$objs" "$4"
  link "${2%.wasm}-relaxed.wasm" "$(echo "$objs" | sed "s|$1_matmul.o|$1_matmul_relaxed.o|")" "$4"
}
# link <output> <objects> <link flags>: a reactor (no main): the host calls _initialize, then
# the exports
link() {
  # shellcheck disable=SC2086
  "$CXX" --target=wasm32-wasi -mexec-model=reactor -nostartfiles \
    /usr/lib/wasm32-wasi/crt1-reactor.o $2 -o "$1" \
    -Wl,--strip-all -Wl,--export=_initialize -Wl,-z,stack-size=1048576 -Wl,--initial-memory=4194304 \
    -Wl,--max-memory=4294967296 $3 -O3
}
# (-Dthread_local=static: one thread, so the kernels' per-thread scratch buffers are plain
# statics; wasm-ld accepts thread-local storage only with the atomics feature and shared memory)
build single "$out" "-Dthread_local=static" "" &
single=$!
# the threaded module: each worker instance gets its own stack (__stack_pointer) and
# thread-local block (__wasm_init_tls) from the host, and never runs _initialize
wrap=""
for f in malloc free calloc realloc aligned_alloc posix_memalign; do wrap="$wrap -Wl,--wrap=$f"; done
build threads "$outThreads" "-matomics -ftls-model=local-exec" "-Wl,--shared-memory -Wl,--import-memory \
  -Wl,--no-check-features -Wl,--export=__stack_pointer -Wl,--export=__wasm_init_tls \
  -Wl,--export=__tls_size -Wl,--export=__tls_align $wrap"
wait "$single"
