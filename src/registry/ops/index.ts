/**
 * Every op family of the registry: importing this module declares all ops (methods installed on
 * Tensor, function forms available through `fn`).
 */
import "./elementwise.js";
import "./comparison.js";
import "./reduce.js";
import "./nn.js";
// 3-d convolution and every pooling (issue 11, h-nnpool)
import "./nn-pool.js";
// issue 11 activations, dropout, normalisation, embedding bag (h-nnact)
import "./nn-activation.js";
import "./nn-dropout.js";
import "./nn-norm.js";
import "./embedding-bag.js";
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
// issue 14: the general eigenproblem (h-eig)
import "./eig.js";
import "./special-fns.js";
import "./special.js";
// issue 14: torch.fft helpers and the window functions (h-fft)
import "./fft.js";
import "./spectral.js";
// issue 14: torch.stft / torch.istft (h-stft)
import "./stft.js";
import "./stats.js";
import "./bitwise.js";
// issue 11, losses and distances (h-nnloss)
import "./nnloss.js";
// issue 11, padding / resampling / vision (h-nnpad)
import "./nn-resample.js";
import "./complex.js";
import "./complex-math.js";
