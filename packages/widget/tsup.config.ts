import { defineConfig } from "tsup"
import { writeEmbed } from "./scripts/embed.js"

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  // `import.meta.url` locates assets/widget.css and dist/embed.min.js; shim it in the CommonJS build.
  shims: true,
  // The browser element is a separate, minified IIFE (served as /embed.js), bundled here at build time.
  onSuccess: async () => {
    await writeEmbed()
  }
})
