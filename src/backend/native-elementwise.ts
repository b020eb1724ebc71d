/**
 * Native elementwise kernels (native/elementwise.cc): the addon functions' signatures and the dispatch
 * helpers the TypeScript kernels call (each returns false when the call stays on TypeScript).
 */
// The family's addon functions; filled in as kernels are added.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ElementwiseKernels {}
