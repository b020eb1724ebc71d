/**
 * torch.onnx: `export(model, args, f, { inputNames, outputNames, dynamicAxes, opsetVersion })`
 * writes a module's forward as an ONNX model (opsets 13 to 17).
 */
export { exportModel as export, type ExportOptions, type DynamicAxes } from "./export.js";
export { mappedOps as supportedOps } from "./symbolic.js";
