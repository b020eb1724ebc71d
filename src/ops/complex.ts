/**
 * Complex helpers of the op layer (Note [complex storage] in dtype.ts).
 */
import { Tensor } from "../tensor.js";
import { complex32, float16, realLayout, toComplexDtype, toRealDtype } from "../dtype.js";
import { allocOutput, contiguousData } from "./core.js";
import { broadcastShapes } from "../shape.js";
import { noGrad } from "../autograd/grad-mode.js";

/**
 * re + i im, broadcast, as a new complex tensor of the parts' dtype (no recording; the parts
 * are float32 or float64 of one dtype).
 */
export function interleave(re: Tensor, im: Tensor): Tensor {
  const shape = broadcastShapes(re.shape, im.shape);
  // float16 parts: complex32, whose storage holds their bit patterns (Note [complex32])
  const dtype = re.dtype === float16 ? complex32 : toComplexDtype(re.dtype);
  const out = allocOutput(shape, dtype);
  const [r, i] = noGrad(() => [re.expand(shape).contiguous(), im.expand(shape).contiguous()]);
  const rd = contiguousData(r);
  const id = contiguousData(i);
  const o = out.typedArray;
  const n = out.numel();
  for (let k = 0; k < n; k++) {
    o[2 * k] = rd.data[rd.offset + k];
    o[2 * k + 1] = id.data[id.offset + k];
  }
  return out;
}

/**
 * The storage of a complex tensor seen as a real tensor with a trailing dim of 2 (Note
 * [complex storage]), without autograd or view tracking: for kernels that add or copy values.
 */
export function realAlias(t: Tensor): Tensor {
  const l = realLayout(t);
  return new Tensor(t.typedArray, l.shape, l.strides, l.offset, toRealDtype(t.dtype));
}
