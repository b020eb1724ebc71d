/**
 * The contract between the TypeScript kernels and the native addon, written once: the kernel op
 * codes and every native binding's argument list. `scripts/gen-native-abi.ts` turns this file
 * into `native/abi.gen.h` and `native/abi.gen.cc` (the C++ enums, the argument structs, their
 * parsers and the addon's export table); test/native-abi.test.ts fails when those are stale.
 * On the TypeScript side, native.ts derives each binding's type and its dtype check from the
 * same signatures.
 *
 * Pure data: nothing here loads the addon or imports another module, so the generator can
 * import it on any machine.
 */

// ---------------------------------------------------------------------------------------------
// Op codes. The order is the ABI: the C++ side gets enumerators k<Name> with the same values.

/** The ops of the elementwise `unary` kernel (elementwise.ts, native/elementwise.cc). */
export enum Unary {
  Neg,
  Abs,
  Sign,
  Exp,
  Log,
  Log1p,
  Expm1,
  Sqrt,
  Rsqrt,
  Reciprocal,
  Square,
  Sin,
  Cos,
  Tan,
  Tanh,
  Sigmoid,
  Relu,
  Floor,
  Ceil,
  Round,
  Trunc,
  IsNan,
  IsFinite,
  LogicalNot,
  Asin,
  Acos,
  Atan,
  Sinh,
  Cosh,
  Asinh,
  Acosh,
  Atanh,
  Log2,
  Log10,
  Exp2,
  Erfc,
  Erfinv,
  Sinc,
  Lgamma,
  Digamma,
}

/** The ops of the elementwise `binary` kernels (elementwise.ts, native/elementwise.cc). */
export enum Binary {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Atan2,
  FloorDiv,
  Remainder,
  LogicalAnd,
  LogicalOr,
  Hypot,
  LogAddExp,
  LogAddExp2,
  Copysign,
  Xlogy,
}

/** The reductions of `reduce` / `reduceAxis` (reduce.ts, native/reduce.cc). */
export enum Reduce {
  Sum,
  Prod,
  Max,
  Min,
  ArgMax,
  ArgMin,
  LogSumExp,
  Any,
  All,
}

/**
 * How the `scatter` kernel combines a source element with the destination (scatter.ts,
 * native/scatter.cc): write, add, multiply, or keep the larger / smaller (NaN wins).
 */
export enum ScatterOp {
  Assign,
  Accumulate,
  Multiply,
  KeepMax,
  KeepMin,
}

/** The activation whose gradient `activationBackward` forms from its saved result y. */
export enum Activation {
  /** g * (1 - y*y) */
  TanhBackward,
  /** g * (y * (1 - y)) */
  SigmoidBackward,
  /** y <= 0 ? 0 : g */
  ReluBackward,
}

/** Flag bits of the optimizer steps (optim.ts, native/optim.cc). */
export enum OptFlag {
  Maximize = 1,
  WeightDecay = 2,
  Momentum = 4,
  Init = 8,
  Nesterov = 16,
  Decoupled = 32,
  Amsgrad = 64,
  Centered = 128,
  /** ASGD: average the iterates (mu != 1) */
  Average = 256,
  /** RAdam: the variance rectification applies (rho_t > 5) */
  Rectified = 512,
}

/**
 * Unary ops whose cost per element is a libm-class call (exp, sin, ...): they go native and
 * split over threads from fewer elements than the cheap ones.
 */
export const UNARY_MATH: readonly Unary[] = [
  Unary.Exp,
  Unary.Log,
  Unary.Log1p,
  Unary.Expm1,
  Unary.Rsqrt,
  Unary.Sin,
  Unary.Cos,
  Unary.Tan,
  Unary.Tanh,
  Unary.Sigmoid,
  Unary.Asin,
  Unary.Acos,
  Unary.Atan,
  Unary.Sinh,
  Unary.Cosh,
  Unary.Asinh,
  Unary.Acosh,
  Unary.Atanh,
  Unary.Log2,
  Unary.Log10,
  Unary.Exp2,
  Unary.Erfc,
  Unary.Erfinv,
  Unary.Sinc,
  Unary.Lgamma,
  Unary.Digamma,
];

/** Unary ops with a bool result: the addon does not implement them (they stay TypeScript). */
export const UNARY_PREDICATE: readonly Unary[] = [Unary.IsNan, Unary.IsFinite, Unary.LogicalNot];

/** Binary ops whose element function is a libm-class call. */
export const BINARY_MATH: readonly Binary[] = [
  Binary.Pow,
  Binary.Atan2,
  Binary.FloorDiv,
  Binary.Remainder,
  Binary.Hypot,
  Binary.LogAddExp,
  Binary.LogAddExp2,
  Binary.Xlogy,
];

/** Binary ops with a bool result: their output is a Uint8Array. */
export const BINARY_PREDICATE: readonly Binary[] = [
  Binary.Eq,
  Binary.Ne,
  Binary.Lt,
  Binary.Le,
  Binary.Gt,
  Binary.Ge,
  Binary.LogicalAnd,
  Binary.LogicalOr,
];

/** Reductions giving an index (int64, stored in a Float64Array). */
export const REDUCE_INDEX: readonly Reduce[] = [Reduce.ArgMax, Reduce.ArgMin];

/** Reductions giving a bool (a Uint8Array). */
export const REDUCE_PREDICATE: readonly Reduce[] = [Reduce.Any, Reduce.All];

/** 1 at the ops of `list`, as a table indexed by op code (op codes are below 256). */
export function opTable(list: readonly number[]): Uint8Array {
  const t = new Uint8Array(256);
  for (const op of list) t[op] = 1;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Native bindings: `name: "arg:kind arg:kind ..."`, in call order. The kinds:
//   int    an integer number (size, offset, stride, op code)   C++ Index
//   num    any number                                          C++ double
//   float  a Float32Array or Float64Array; all float and float? arguments of one call share
//          one of the two types                               C++ Arr
//   float? a float array of that type, or null                C++ Arr (present false for null)
//   f64    a Float64Array (int64 indices)                      C++ Arr
//   u8     a Uint8Array (bool)                                 C++ Arr
//   typed  any typed array (the binding checks it further)     C++ Arr
//   int[]  an array of integers (shape, strides)               C++ std::vector<Index>
//   geo    a window [h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, d, kd, sd, pd, dd, od]
//          (window.ts; 2-D: depth 1)                           C++ Geo
// Every binding returns undefined; bad arguments throw a TypeError or RangeError before any
// memory is touched. Each family is implemented by native/<family>.cc and has its TypeScript
// twins in src/backend/<family>.ts.

export const NATIVE_FAMILIES = {
  elementwise: {
    ewUnary: "op:int a:float aOff:int out:float n:int",
    ewBinary:
      "op:int a:float aOff:int aStep:int b:float bOff:int bStep:int out:typed outOff:int n:int",
    ewBinaryStrided:
      "op:int a:float aOff:int aStrides:int[] b:float bOff:int bStrides:int[] out:typed shape:int[]",
    ewPowBackward: "g:float gOff:int gStep:int x:float xOff:int c:num out:float n:int",
    ewActivationBackward: "kind:int g:float gOff:int gStep:int y:float yOff:int out:float n:int",
    ewClamp: "a:float aOff:int out:float n:int lo:num hi:num",
    ewWhere:
      "cond:u8 cOff:int cStrides:int[] a:float aOff:int aStrides:int[] b:float bOff:int bStrides:int[] out:float shape:int[]",
    ewMaskedFill:
      "a:float aOff:int aStrides:int[] mask:u8 mOff:int mStrides:int[] value:num out:float shape:int[]",
  },
  copy: {
    stridedCopy:
      "src:typed srcOff:int srcStrides:int[] dst:typed dstOff:int dstStrides:int[] shape:int[]",
  },
  scatter: {
    scatter:
      "op:int out:typed outOff:int outStrides:int[] dStride:int dSize:int idx:f64 idxOff:int idxStrides:int[] src:typed srcOff:int srcStrides:int[] shape:int[]",
  },
  reduce: {
    reduce: "op:int a:float aOff:int outer:int n:int inner:int out:typed outOff:int",
    cumsum: "a:float aOff:int outer:int n:int inner:int out:float outOff:int",
    cumprod: "a:float aOff:int outer:int n:int inner:int out:float outOff:int",
    softmax: "a:float aOff:int outer:int n:int inner:int out:float outOff:int log:int",
    softmaxBackward:
      "g:float gOff:int y:float yOff:int outer:int n:int inner:int out:float outOff:int log:int",
    reduceExp: "v:f64",
  },
  matmul: {
    matmul:
      "a:float aOff:int aBatch:int aRow:int aCol:int b:float bOff:int bBatch:int bRow:int bCol:int out:float batch:int m:int k:int n:int",
  },
  conv: {
    im2col: "x:float xOff:int c:int geo:geo cols:float",
    col2im: "cols:float c:int geo:geo out:float outOff:int",
    addChannelBias: "out:float planes:int channels:int size:int bias:float biasOff:int",
    conv2dDirect:
      "x:float xOff:int N:int C:int O:int G:int w:float wOff:int bias:float? biasOff:int geo:geo out:float",
    convWeightGrad:
      "lhs:float lhsOff:int rhs:float rhsOff:int N:int lhsC:int rhsC:int G:int geo:geo out:float",
    channelSum: "g:float gOff:int N:int C:int L:int out:float",
  },
  pooling: {
    maxPool: "x:float xOff:int planes:int geo:geo out:float indices:f64",
    maxPoolBackward: "gOut:float indices:f64 planes:int inSize:int outSize:int out:float",
    avgPool:
      "src:float srcOff:int planes:int geo:geo countIncludePad:int divisorOverride:int dst:float backward:int",
    adaptiveAvgPool:
      "src:float srcOff:int planes:int d:int h:int w:int od:int oh:int ow:int dst:float backward:int",
  },
  resample: {
    resample: "x:float xOff:int planes:int taps:f64 out:float backward:int",
  },
  sort: {
    sortRows: "a:float nRows:int len:int descending:int stable:int outV:float outI:f64",
    topkRows: "a:float nRows:int len:int k:int largest:int sorted:int outV:float outI:f64",
  },
  activation: {
    geluForward: "x:float xOff:int out:float n:int tanh:int",
    geluBackward: "g:float gOff:int x:float xOff:int out:float n:int tanh:int",
  },
  linalg: {
    luFactor: "a:f64 aOff:int m:int n:int piv:f64 pivot:int info:f64",
    cholesky: "a:f64 aOff:int n:int info:f64",
    triSolve: "t:f64 tOff:int b:f64 bOff:int n:int k:int upper:int trans:int unit:int",
    tridiagonalEig: "a:f64 n:int d:f64 z:f64 info:f64",
    svdJacobi: "a:f64 aOff:int m:int n:int w:f64 q:f64",
  },
  "linalg-complex": {
    zLuFactor: "a:f64 aOff:int m:int n:int piv:f64 pivot:int info:f64",
    zCholesky: "a:f64 aOff:int n:int info:f64",
    zTriSolve: "t:f64 tOff:int b:f64 bOff:int n:int k:int upper:int trans:int conj:int unit:int",
  },
  fft: {
    fftC2C: "x:float xOff:int out:float outOff:int batch:int n:int inner:int inverse:int scale:num",
    fftR2C: "x:float xOff:int out:float outOff:int batch:int n:int inner:int scale:num",
    fftC2R: "x:float xOff:int out:float outOff:int batch:int n:int inner:int scale:num",
  },
  norm: {
    layerNormForward:
      "x:float xOff:int rows:int D:int w:float? wOff:int b:float? bOff:int eps:num out:float",
    layerNormBackward:
      "g:float gOff:int x:float xOff:int rows:int D:int w:float? wOff:int eps:num gx:float? gw:float? gb:float?",
  },
  rnn: {
    lstmCell:
      "s:float sOff:int gi:float giOff:int b:float? cp:float cpOff:int gates:float gOff:int c:float cOff:int h:float hOff:int n:int hidden:int",
    lstmCellBackward:
      "gates:float gOff:int c:float cOff:int cp:float cpOff:int dh:float? dhOff:int dhx:float dc:float dg:float dgOff:int n:int hidden:int",
    packPanel: "w:float wOff:int k:int n:int rs:int cs:int packed:float",
    panelProduct: "a:float aOff:int lda:int m:int k:int packed:float n:int out:float outOff:int",
  },
  optim: {
    sgdStep:
      "p:float pOff:int g:float gOff:int n:int buf:float? wd:num mom:num damp:num negLr:num flags:int",
    adamStep:
      "p:float pOff:int g:float gOff:int n:int m:float v:float vmax:float? b1:num b2:num omb1:num omb2:num eps:num wd:num decay:num negStepSize:num bc2Sqrt:num flags:int",
    rmspropStep:
      "p:float pOff:int g:float gOff:int n:int sq:float gavg:float? buf:float? alpha:num oma:num eps:num wd:num mom:num negLr:num flags:int",
    adagradStep:
      "p:float pOff:int g:float gOff:int n:int sum:float wd:num eps:num negClr:num flags:int",
    nadamStep:
      "p:float pOff:int g:float gOff:int n:int m:float v:float b1:num b2:num omb1:num omb2:num eps:num wd:num bc2:num cg:num cm:num flags:int",
    radamStep:
      "p:float pOff:int g:float gOff:int n:int m:float v:float b1:num b2:num omb1:num omb2:num eps:num wd:num bc1:num lr:num sqrtBc2:num rect:num flags:int",
    adamaxStep:
      "p:float pOff:int g:float gOff:int n:int m:float u:float b1:num b2:num omb1:num eps:num wd:num negClr:num flags:int",
    adadeltaStep:
      "p:float pOff:int g:float gOff:int n:int sq:float acc:float rho:num omr:num eps:num wd:num negLr:num flags:int",
    asgdStep:
      "p:float pOff:int g:float gOff:int n:int ax:float wd:num decay:num negEta:num mu:num flags:int",
    rpropStep:
      "p:float pOff:int g:float gOff:int n:int prev:float ss:float etaminus:num etaplus:num lo:num hi:num flags:int",
  },
} as const;

export type NativeFamily = keyof typeof NATIVE_FAMILIES;

/** The argument kinds of the signatures above. */
export const ARG_KINDS = [
  "int",
  "num",
  "float",
  "float?",
  "f64",
  "u8",
  "typed",
  "int[]",
  "geo",
] as const;
export type ArgKind = (typeof ARG_KINDS)[number];

/** A signature's arguments as [name, kind] pairs. */
export function parseSignature(sig: string): [name: string, kind: ArgKind][] {
  return sig.split(" ").map((word) => {
    const at = word.indexOf(":");
    const kind = word.slice(at + 1);
    if (at <= 0 || !(ARG_KINDS as readonly string[]).includes(kind))
      throw new Error(`bad native argument "${word}"`);
    return [word.slice(0, at), kind as ArgKind];
  });
}
