/**
 * Bundles and minifies the `<guildpulse-stats>` element with esbuild. Used by the package build (tsup's
 * `onSuccess`, writing `dist/embed.min.js`) and, when that file is absent (running from source), by
 * `embedScript()` at runtime. esbuild is loaded lazily so that a built package never needs it.
 */
import { createRequire } from "node:module"
import type * as Esbuild from "esbuild"

/** Browsers with custom elements v1, class fields, optional chaining and IntersectionObserver. */
export const EMBED_TARGET: ReadonlyArray<string> = ["es2022", "chrome90", "firefox90", "safari15"]

export const buildEmbed = (entry: string): string => {
  const require = createRequire(import.meta.url)
  const esbuild = require("esbuild") as typeof Esbuild
  const result = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "iife",
    platform: "browser",
    target: [...EMBED_TARGET],
    legalComments: "none",
    charset: "utf8",
    write: false
  })
  const output = result.outputFiles[0]
  if (output === undefined) throw new Error("esbuild produced no output for the embed script")
  return output.text
}
