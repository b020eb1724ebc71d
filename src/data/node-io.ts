/**
 * Node's file system and zlib, fetched at call time (`process.getBuiltinModule`, Node >= 20.16)
 * rather than imported, so the library still loads in a browser; only the file-path functions
 * (torch.save / torch.load with a path, the IDX readers) need Node.
 */
type Fs = typeof import("node:fs");
type Zlib = typeof import("node:zlib");
type Path = typeof import("node:path");

function builtin<T>(name: string): T {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const get = proc?.getBuiltinModule;
  if (typeof get !== "function") {
    throw new Error(
      `${name} is not available: reading and writing files needs Node.js 20.16 or newer (in a browser, use the byte-array functions)`,
    );
  }
  return get.call(proc, name) as T;
}

export const nodeFs = (): Fs => builtin<Fs>("node:fs");
export const nodeZlib = (): Zlib => builtin<Zlib>("node:zlib");
export const nodePath = (): Path => builtin<Path>("node:path");
