import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs"
import { defineConfig } from "tsup"
import { writeEmbed } from "../widget/scripts/embed.js"

// Every third-party dependency of the workspace packages stays external (installed with @guildpulse/*).
const thirdParty = readdirSync("..").flatMap((dir) => {
  try {
    const pkg = JSON.parse(readFileSync(`../${dir}/package.json`, "utf8")) as { dependencies?: Record<string, string> }
    return Object.keys(pkg.dependencies ?? {}).filter((name) => !name.startsWith("@guildpulse/"))
  } catch {
    return []
  }
})

// The binary bundles the @guildpulse packages it composes (from their TypeScript sources, one copy of each),
// so `guildpulse` runs without building the workspace first; third-party dependencies stay external.
// GUILDPULSE_CLI_NO_DTS=1 skips the declarations (the tests' build).
export default defineConfig({
  entry: { index: "src/index.ts", bin: "src/bin.ts" },
  format: ["esm"],
  dts: process.env["GUILDPULSE_CLI_NO_DTS"] === "1" ? false : { entry: { index: "src/index.ts" } },
  clean: true,
  sourcemap: true,
  target: "node20",
  platform: "node",
  noExternal: [/^@guildpulse\//],
  external: [...new Set(thirdParty)].flatMap((name) => [name, new RegExp(`^${name.replace(/[/.]/g, "\\$&")}/`)]),
  esbuildOptions(options) {
    options.conditions = ["@guildpulse/source"]
  },
  // The bundled widget reads its browser script (`../dist/embed.min.js`) and stylesheet (`../assets/widget.css`)
  // next to the bundle: put them there at build time (nothing is built at run time).
  onSuccess: async () => {
    await writeEmbed("dist/embed.min.js")
    mkdirSync("assets", { recursive: true })
    copyFileSync("../widget/assets/widget.css", "assets/widget.css")
  },
})
