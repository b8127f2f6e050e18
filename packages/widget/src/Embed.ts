/**
 * The `<guildpulse-stats>` custom element as one minified script (served as `/embed.js`).
 *
 * The bundle is made at build time (`npm run build`: tsup, then esbuild writes `dist/embed.min.js`) and shipped
 * in the package; at run time it is only read, once, and cached. Nothing is built at run time.
 */
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

let cached: string | undefined

/** Same path from `src/Embed.ts` and from the bundled `dist/index.js`: the package's `dist/embed.min.js`. */
const builtFile = (): string => fileURLToPath(new URL("../dist/embed.min.js", import.meta.url))

const load = (): string => {
  const built = builtFile()
  if (!existsSync(built)) {
    throw new Error(`@guildpulse/widget: ${built} is missing; it is made by the package build (npm run build -w @guildpulse/widget)`)
  }
  return readFileSync(built, "utf8")
}

/** The minified `<guildpulse-stats>` element (an IIFE that defines the element once). */
export const embedScript = (): string => {
  if (cached === undefined) cached = load()
  return cached
}
