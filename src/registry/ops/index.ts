/**
 * Every op family of the registry: importing this module declares all ops (methods installed on
 * Tensor, function forms available through `fn`).
 */
import "./elementwise.js";
import "./comparison.js";
import "./reduce.js";
import "./nn.js";
import "./loss.js";
import "./creation.js";
import "./views.js";
import "./indexing.js";
import "./linalg.js";
import "./random.js";
import "./sorting.js";
import "./shape.js";
import "./math.js";
import "./dunder.js";
import "./misc.js";
import "./decomp.js";
import "./special-fns.js";
import "./stats.js";
import "./bitwise.js";
// issue 11, losses and distances (h-nnloss)
import "./nnloss.js";
// issue 11, padding / resampling / vision (h-nnpad)
import "./nn-resample.js";
