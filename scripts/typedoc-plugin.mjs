// @ts-check
/**
 * TypeDoc plugin: keeps tensorgrad's internals out of the API reference. Members named with
 * one leading underscore (`_version`, `_backward`: PyTorch's private convention, which
 * tensorgrad follows) and symbol-keyed members (`[REG]`) are implementation details that
 * public classes carry; they are removed from the reference before TypeDoc validates it, so
 * neither the site nor the `notDocumented` check sees them. Dunder methods (`__add__`) are
 * Python's public operator protocol and stay.
 */
import { Converter, ReflectionKind } from "typedoc";

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    for (const r of project.getReflectionsByKind(ReflectionKind.All)) {
      if (/^_(?!_)/.test(r.name) || /^\[.*\]$/.test(r.name)) {
        if (r.name === "[iterator]" || r.name === "[asyncIterator]" || r.name === "[dispose]")
          continue;
        project.removeReflection(r);
      }
    }
  });
}
