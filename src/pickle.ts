/**
 * Python pickles, restricted to data: the reader runs PyTorch 1.13's weights-only unpickler
 * (torch/_weights_only_unpickler.py) opcode for opcode, and the writer emits the protocol-2
 * subset that reader accepts. Neither knows about tensors: the caller resolves GLOBALs, calls
 * (REDUCE), NEWOBJ, BUILD and persistent ids through `UnpickleHooks`, and writes tensors through
 * `Pickler`'s primitives.
 *
 * Note [restricted unpickling]: nothing from the file is ever executed or looked up by name; a
 * GLOBAL is a pair of strings the caller checks against an allow-list, so `os.system` or
 * `builtins.eval` are refused the moment they are named. Every read is bounds-checked against
 * the data (a length field past the end is a truncated pickle, never an allocation), and MARK
 * nesting is limited, so memory stays proportional to the input.
 */
import { UnpicklingError } from "./errors.js";

/** A Python tuple as read from a pickle (kept apart from lists until the caller converts). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}
/** A Python dict (or OrderedDict) as read: insertion-ordered keys of any type. */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
  constructor(readonly ordered = false) {}
}
/** A Python set (only the empty set opcode exists in the weights-only subset). */
export class PySet {
  readonly items = new Set<unknown>();
}
/** A GLOBAL the caller allowed: its dotted name and what the caller made of it. */
export class PyGlobal {
  constructor(
    readonly fullName: string,
    readonly value: unknown,
  ) {}
  toString(): string {
    return this.fullName;
  }
}

/** What the caller decides: the allowed GLOBALs and what calling them, or a persistent id, gives. */
export interface UnpickleHooks {
  /** the value of an allowed GLOBAL, or undefined to refuse it */
  global(fullName: string): unknown;
  /** REDUCE: call an allowed global with its arguments */
  reduce(fn: PyGlobal, args: unknown[]): unknown;
  /** NEWOBJ of an allowed class */
  newobj(cls: PyGlobal, args: unknown[]): unknown;
  /** BUILD: set the state of an object REDUCE or NEWOBJ made; returns false to refuse */
  build(inst: unknown, state: unknown): boolean;
  /** BINPERSID: a storage */
  persistentLoad(pid: unknown): unknown;
}

/** MARK nesting beyond this is refused (PyTorch's state dicts nest a handful of levels). */
export const MAX_NESTING = 1000;

const fail = (msg: string): never => {
  throw new UnpicklingError(msg);
};

/** Python's type name of an unpickled value, for error messages. */
export function pyTypeName(v: unknown): string {
  if (v === null) return "<class 'NoneType'>";
  if (Array.isArray(v)) return "<class 'list'>";
  if (v instanceof PyTuple) return "<class 'tuple'>";
  if (v instanceof PyDict)
    return v.ordered ? "<class 'collections.OrderedDict'>" : "<class 'dict'>";
  if (v instanceof PySet) return "<class 'set'>";
  if (v instanceof PyGlobal) return `<class '${v.fullName}'>`;
  if (typeof v === "string") return "<class 'str'>";
  if (typeof v === "boolean") return "<class 'bool'>";
  if (typeof v === "bigint") return "<class 'int'>";
  if (typeof v === "number") return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  const name = (v as object).constructor?.name ?? "object";
  return `<class '${name}'>`;
}

/** Python's str() of a value in messages: strings and numbers as they are, others by type. */
function pyStr(v: unknown): string {
  if (typeof v === "string" || typeof v === "number" || typeof v === "bigint") return String(v);
  if (v instanceof PyGlobal) return `<class '${v.fullName}'>`;
  return pyTypeName(v);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Python's decode_long: little-endian two's complement of any length. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

/**
 * Run PyTorch 1.13's weights-only unpickler over `data`; returns the object STOP pops. The
 * opcodes are exactly those it accepts, plus BINFLOAT (`G`): PyTorch 1.13 refuses Python
 * floats ("Unsupported operand 71"), which every optimizer state dict has (`lr`), and later
 * PyTorch versions accept them; a float is plain data.
 */
export function unpickle(data: Uint8Array, hooks: UnpickleHooks): unknown {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const need = (n: number): number => {
    if (pos + n > data.length)
      fail(`pickle data was truncated (needed ${n} bytes at offset ${pos} of ${data.length})`);
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail(`unpickling stack underflow at offset ${pos - 1}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail(`unpickling stack underflow at offset ${pos - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) fail(`could not find MARK (offset ${pos - 1})`);
    stack = prev as unknown[];
    return items;
  };
  const readLine = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail(`pickle data was truncated (a GLOBAL's name has no newline)`);
    let s: string;
    try {
      s = UTF8.decode(data.subarray(pos, end));
    } catch {
      return fail(`a GLOBAL's name is not valid UTF-8 (offset ${pos})`);
    }
    pos = end + 1;
    return s;
  };
  const setItem = (d: unknown, k: unknown, v: unknown): void => {
    if (!(d instanceof PyDict)) fail(`Can only set items of dicts, but got ${pyTypeName(d)}`);
    (d as PyDict).map.set(k, v);
  };
  const str = (n: number): string => {
    const at = need(n);
    try {
      return UTF8.decode(data.subarray(at, at + n));
    } catch {
      return fail(`a string at offset ${at} is not valid UTF-8`);
    }
  };
  for (;;) {
    if (pos >= data.length) fail("pickle data was truncated (no STOP opcode: EOFError)");
    const op = data[pos++];
    switch (op) {
      case 0x63: {
        // GLOBAL: module and name, each a line; looked up in the caller's allow-list only
        const full = `${readLine()}.${readLine()}`;
        const value = hooks.global(full);
        if (value === undefined) fail(`Unsupported class ${full}`);
        stack.push(new PyGlobal(full, value));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!(cls instanceof PyGlobal) || !(args instanceof PyTuple))
          fail(`Trying to instantiate unsupported class ${pyStr(cls)}`);
        stack.push(hooks.newobj(cls as PyGlobal, (args as PyTuple).items));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = top();
        if (!(fn instanceof PyGlobal))
          fail(`Trying to call reduce for unrecognized function ${pyStr(fn)}`);
        if (!(args instanceof PyTuple))
          fail(`REDUCE's arguments must be a tuple, got ${pyTypeName(args)}`);
        stack[stack.length - 1] = hooks.reduce(fn as PyGlobal, (args as PyTuple).items);
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const inst = top();
        if (!hooks.build(inst, state))
          fail(`Can only build Tensor, parameter or dict objects, but got ${pyTypeName(inst)}`);
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop();
        const list = top();
        if (!Array.isArray(list)) fail(`Can only append to lists, but got ${pyTypeName(list)}`);
        (list as unknown[]).push(item);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) fail(`Can only extend lists, but got ${pyTypeName(list)}`);
        for (const it of items) (list as unknown[]).push(it);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2 !== 0) fail("SETITEMS with an odd number of items");
        const d = top();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x28: // MARK
        if (metastack.length >= MAX_NESTING)
          fail(`the pickle nests deeper than ${MAX_NESTING} levels`);
        metastack.push(stack);
        stack = [];
        break;
      case 0x74: {
        // TUPLE (popMark first: it replaces `stack`)
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new PySet());
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(data[need(1)]);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(str(view.getUint32(need(4), true)));
        break;
      case 0x55: // SHORT_BINSTRING (torch.load decodes it as UTF-8)
        stack.push(str(data[need(1)]));
        break;
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!(pid instanceof PyTuple) && typeof pid !== "number")
          fail(`persistent_load id must be tuple or int, but got ${pyTypeName(pid)}`);
        if (pid instanceof PyTuple && pid.items.length > 0 && pid.items[0] !== "storage")
          fail(`Only persistent_load of storage is allowed, but got ${pyStr(pid.items[0])}`);
        stack.push(hooks.persistentLoad(pid));
        break;
      }
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const idx = op === 0x68 ? data[need(1)] : view.getUint32(need(4), true);
        if (!memo.has(idx)) fail(`Memo value not found at index ${idx}`);
        stack.push(memo.get(idx));
        break;
      }
      case 0x71: // BINPUT
      case 0x72: {
        // LONG_BINPUT
        const idx = op === 0x71 ? data[need(1)] : view.getUint32(need(4), true);
        memo.set(idx, top());
        break;
      }
      case 0x8a: {
        // LONG1
        const n = data[need(1)];
        const at = need(n);
        stack.push(decodeLong(data.subarray(at, at + n)));
        break;
      }
      case 0x80: // PROTO
        need(1);
        break;
      case 0x2e: // STOP
        if (metastack.length !== 0) fail("STOP inside an unclosed MARK");
        return pop();
      default:
        return fail(`Unsupported operand ${op}`);
    }
  }
}

/**
 * A protocol-2 pickle writer of the opcodes the weights-only unpickler reads. The caller walks
 * its object and calls these; `memoize`/`recall` keep shared objects shared (and GLOBALs short).
 */
export class Pickler {
  private buf = new Uint8Array(1024);
  private len = 0;
  private memo = new Map<unknown, number>();
  private enc = new TextEncoder();

  constructor() {
    this.byte(0x80, 2); // PROTO 2
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(...bs: number[]): void {
    this.ensure(bs.length);
    for (const b of bs) this.buf[this.len++] = b;
  }
  private bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  private u32(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.len, v, true);
    this.len += 4;
  }

  /** If `key` was memoized, push it again (BINGET) and return true. */
  recall(key: unknown): boolean {
    const idx = this.memo.get(key);
    if (idx === undefined) return false;
    if (idx < 256) this.byte(0x68, idx);
    else {
      this.byte(0x6a);
      this.u32(idx);
    }
    return true;
  }
  /** Store the stack's top under `key` (BINPUT). */
  memoize(key: unknown): void {
    const idx = this.memo.size;
    this.memo.set(key, idx);
    if (idx < 256) this.byte(0x71, idx);
    else {
      this.byte(0x72);
      this.u32(idx);
    }
  }

  none(): void {
    this.byte(0x4e);
  }
  bool(v: boolean): void {
    this.byte(v ? 0x88 : 0x89);
  }
  /** A Python int: BININT1/BININT2/BININT when they fit, LONG1 otherwise. */
  int(v: number | bigint): void {
    if (typeof v === "number" && v >= 0 && v < 256) this.byte(0x4b, v);
    else if (typeof v === "number" && v >= 0 && v < 65536) this.byte(0x4d, v & 0xff, v >> 8);
    else if (typeof v === "number" && v >= -(2 ** 31) && v < 2 ** 31) {
      this.byte(0x4a);
      this.ensure(4);
      new DataView(this.buf.buffer).setInt32(this.len, v, true);
      this.len += 4;
    } else {
      // Python's encode_long: the shortest little-endian two's complement
      let x = BigInt(v);
      const out: number[] = [];
      for (;;) {
        const b = Number(x & 0xffn);
        out.push(b);
        x >>= 8n;
        if ((x === 0n && (b & 0x80) === 0) || (x === -1n && (b & 0x80) !== 0)) break;
      }
      this.byte(0x8a, out.length, ...out);
    }
  }
  /** A Python float (BINFLOAT: big-endian double). */
  float(v: number): void {
    this.byte(0x47);
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.len, v, false);
    this.len += 8;
  }
  str(s: string): void {
    const b = this.enc.encode(s);
    this.byte(0x58);
    this.u32(b.length);
    this.bytes(b);
  }
  /** GLOBAL module\nname\n, memoized. */
  global(module: string, name: string): void {
    const key = `global:${module}.${name}`;
    if (this.recall(key)) return;
    this.byte(0x63);
    this.bytes(this.enc.encode(`${module}\n${name}\n`));
    this.memoize(key);
  }
  mark(): void {
    this.byte(0x28);
  }
  /** Close a tuple of n items pushed after a MARK (n > 3) or directly (n <= 3). */
  tuple(n: number): void {
    if (n === 0) this.byte(0x29);
    else if (n <= 3) this.byte(0x84 + n);
    else this.byte(0x74);
  }
  emptyList(): void {
    this.byte(0x5d);
  }
  emptyDict(): void {
    this.byte(0x7d);
  }
  appends(): void {
    this.byte(0x65);
  }
  setitems(): void {
    this.byte(0x75);
  }
  reduce(): void {
    this.byte(0x52);
  }
  persid(): void {
    this.byte(0x51);
  }
  /** STOP and the bytes. */
  finish(): Uint8Array {
    this.byte(0x2e);
    return this.buf.slice(0, this.len);
  }
}
