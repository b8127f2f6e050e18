import { mkdirSync, writeFileSync } from "node:fs"
import { defineConfig } from "tsup"
import { buildEmbed } from "./src/internal/embedBuild.js"

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  // `import.meta.url` locates assets/widget.css and dist/embed.min.js; shim it in the CommonJS build.
  shims: true,
  external: ["esbuild"],
  // The browser element is a separate, minified IIFE (served as /embed.js).
  onSuccess: async () => {
    mkdirSync("dist", { recursive: true })
    writeFileSync("dist/embed.min.js", buildEmbed("src/element/GuildPulseStats.ts"))
  }
})
