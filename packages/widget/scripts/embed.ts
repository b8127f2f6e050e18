/**
 * Build-time bundling of the `<guildpulse-stats>` element into `dist/embed.min.js` (served as `/embed.js`).
 *
 * Used by the package build (tsup's `onSuccess`), by the vitest global setup of the projects that serve the
 * element from sources, and by the widget benchmark. Never imported by `src/`: a running package only reads
 * the file, so esbuild stays a devDependency.
 */
import { build } from "esbuild"
import { randomBytes } from "node:crypto"
import { mkdirSync, renameSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** Browsers with custom elements v1, class fields, optional chaining and IntersectionObserver. */
export const EMBED_TARGET: ReadonlyArray<string> = ["es2022", "chrome90", "firefox90", "safari15"]

/** The widget package's directory. */
export const packageDir: string = join(dirname(fileURLToPath(import.meta.url)), "..")

/** Bundles and minifies the element (an IIFE that imports nothing at run time). */
export const buildEmbed = async (entry: string = join(packageDir, "src/element/GuildPulseStats.ts")): Promise<string> => {
  const result = await build({
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

/**
 * Writes `dist/embed.min.js` (or `target`) atomically (a temporary file renamed into place), so that several test projects
 * building it at once never let a reader see half a file. Returns the path.
 */
export const writeEmbed = async (target: string = join(packageDir, "dist/embed.min.js")): Promise<string> => {
  mkdirSync(dirname(target), { recursive: true })
  const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`
  writeFileSync(temporary, await buildEmbed())
  renameSync(temporary, target)
  return target
}

/** Vitest `globalSetup`: projects that serve `/embed.js` from sources get a fresh bundle before their tests. */
export const setup = async (): Promise<void> => {
  await writeEmbed()
}

// `node --import tsx packages/widget/scripts/embed.ts`: write the bundle (scripts that serve the demo from sources).
if (process.argv[1] !== undefined && join(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`wrote ${await writeEmbed()}`)
}
