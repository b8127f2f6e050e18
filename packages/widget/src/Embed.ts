/**
 * The `<guildpulse-stats>` custom element as one minified script (served as `/embed.js`).
 *
 * A built package ships it as `dist/embed.min.js`; from source (tests, `tsx`) it is bundled from
 * `src/element/GuildPulseStats.ts` with esbuild on first use. Either way the result is cached.
 */
import { existsSync, readFileSync, statSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { buildEmbed } from "./internal/embedBuild.js"

let cached: string | undefined

const builtFile = (): string => fileURLToPath(new URL("../dist/embed.min.js", import.meta.url))
const sourceFile = (): string => fileURLToPath(new URL("../src/element/GuildPulseStats.ts", import.meta.url))
/** Everything bundled into the element: a build older than any of them is stale. */
const bundledSources = (): ReadonlyArray<string> => [
  sourceFile(),
  ...["Words.ts", "State.ts"].map((file) => fileURLToPath(new URL(`../src/${file}`, import.meta.url)))
]

/** Prefer the built file unless a bundled source is newer (a stale build during development). */
const load = (): string => {
  const built = builtFile()
  const sources = bundledSources().filter((file) => existsSync(file))
  if (existsSync(built) && sources.every((file) => statSync(built).mtimeMs >= statSync(file).mtimeMs)) {
    return readFileSync(built, "utf8")
  }
  if (!existsSync(sourceFile())) throw new Error(`@guildpulse/widget: neither ${built} nor the element's source is present`)
  return buildEmbed(sourceFile())
}

/** The minified `<guildpulse-stats>` element (an IIFE that defines the element once). */
export const embedScript = (): string => {
  if (cached === undefined) cached = load()
  return cached
}
