/**
 * What the lower layers leave open, filled in from above (docs/architecture.md): loading this
 * module (the package entry, src/index.ts, does it first) installs
 *
 * - the hand-written Tensor methods that run ops or autograd (tensor-methods.ts) on
 *   `Tensor.prototype`;
 * - the derivative formulas (derivatives.ts) into recording's table (autograd/function.ts);
 * - the forward-mode rules (jvps.ts) into forward AD's table (autograd/forward-ad.ts).
 *
 * The registry installs its ops the same way when src/registry/ops is loaded.
 */
import "./tensor-methods.js";
import "./autograd/derivatives.js";
import "./autograd/jvps.js";
