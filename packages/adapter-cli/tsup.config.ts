import { readdirSync, readFileSync } from "node:fs"
import { defineConfig } from "tsup"

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
})
