#!/usr/bin/env node
// `npm start`: the sandbox demo, with no build step and no type declarations.
//
// 1. The widget's browser bundle (packages/widget/dist/embed.min.js, served as /embed.js) is made with esbuild.
// 2. The demo and the workspace packages it uses are bundled from their TypeScript sources (the
//    "@guildpulse/source" export condition) into apps/demo/dist/start/, with esbuild (JavaScript only, about a
//    second); third-party packages stay in node_modules. Modules loaded on demand (the embedded and Redis
//    stores, which the demo's in-memory composition never asks for) become chunks of their own, so their
//    packages (libSQL, BullMQ) are not loaded at start.
// 3. apps/demo/dist/start/start.mjs runs. Each step says what it does and how long it took.
import { spawn } from "node:child_process"
import { existsSync, readFileSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "esbuild"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const main = join(root, "apps/demo/src/main.ts")
const outdir = join(root, "apps/demo/dist/start")
const bundle = join(outdir, "start.mjs")
if (!existsSync(main)) {
  console.error("The demo app (apps/demo) is not there. See README.md.")
  process.exit(1)
}

const started = performance.now()
const say = (message) => console.log(`[npm start ${((performance.now() - started) / 1000).toFixed(1)} s] ${message}`)

say("bundling the <guildpulse-stats> element (esbuild → packages/widget/dist/embed.min.js)…")
const { tsImport } = await import("tsx/esm/api")
const { writeEmbed } = await tsImport("../packages/widget/scripts/embed.ts", import.meta.url)
await writeEmbed()

say("bundling the demo from the TypeScript sources (esbuild, JavaScript only → apps/demo/dist/start/)…")
const workspaceFile = /[\\/](packages|apps)[\\/][^\\/]+[\\/]src[\\/].*\.ts$/
rmSync(outdir, { recursive: true, force: true })
await build({
  entryPoints: { start: main },
  outdir,
  outExtension: { ".js": ".mjs" },
  splitting: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "inline",
  conditions: ["@guildpulse/source"],
  logLevel: "warning",
  plugins: [
    {
      name: "guildpulse-workspace",
      setup(builder) {
        // Only the workspace's own sources are bundled; every other package loads from node_modules as usual.
        builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@guildpulse/") ? undefined : { path: args.path, external: true }))
        // Modules locate their assets next to themselves (`new URL("../assets/widget.css", import.meta.url)`):
        // keep each module's own URL although it now lives inside one bundle.
        builder.onLoad({ filter: workspaceFile }, (args) => ({
          contents: readFileSync(args.path, "utf8").replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)),
          loader: "ts"
        }))
      }
    }
  ]
})

say("starting the demo: FakeDiscord sandbox, engine, HTTP service (the page is up when the URLs appear)…")
const child = spawn(process.execPath, ["--enable-source-maps", bundle, ...process.argv.slice(2)], { cwd: root, stdio: "inherit" })
// Ctrl-C reaches the demo too (same process group); it stops cleanly and we exit with it.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal))
child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 0 : 128 + (signal === "SIGINT" ? 2 : 15))))
