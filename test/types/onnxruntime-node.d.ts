// onnxruntime-node 1.17.0's package.json names dist/index.d.ts, which the package does not ship;
// its API is onnxruntime-common's, which it re-exports (InferenceSession, Tensor).
declare module "onnxruntime-node" {
  export * from "onnxruntime-common";
}
