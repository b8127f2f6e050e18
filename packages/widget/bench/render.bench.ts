/**
 * Widget benchmark: `renderWidget` latency with default options (median and p99 over ≥ 20,000 timed runs)
 * and the size of the embed script, minified and gzipped.
 * Run: `npx tsx packages/widget/bench/render.bench.ts` or `npm run bench -- widget`.
 * Writes bench/results/widget.json at the repository root.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

// Workspace packages resolve to their sources under the "@guildpulse/source" condition; re-run with it
// when started without it (plain `npx tsx …`), so no build is needed.
if (!process.execArgv.some((arg) => arg.includes("@guildpulse/source"))) {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, "--conditions=@guildpulse/source", fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: "inherit" }
  )
  process.exit(child.status ?? 1)
}

// The embed bundle is a build product (dist/embed.min.js): make it from the current sources first.
await (await import("../scripts/embed.js")).writeEmbed()
const { embedScript, renderWidget } = await import("../src/index.js")
const { freshView } = await import("../test/fixtures.js")

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")
const TARGET_RENDER_MEDIAN_US = 20
const TARGET_EMBED_GZIP_BYTES = 4096
const RUNS = 50_000
const WARMUP = 5_000

const nowMs = Date.parse(freshView.freshness.fetchedAt ?? "") + 42_000
const context = { nowMs, endpoint: "/v1/profiles/main/stats" }

let sink = 0
for (let i = 0; i < WARMUP; i++) sink += renderWidget(freshView, {}, context).length

const samples = new Float64Array(RUNS)
for (let i = 0; i < RUNS; i++) {
  const start = process.hrtime.bigint()
  sink += renderWidget(freshView, {}, context).length
  samples[i] = Number(process.hrtime.bigint() - start) / 1000
}
samples.sort()
const at = (p: number): number => Math.round((samples[Math.min(RUNS - 1, Math.floor(RUNS * p))] ?? 0) * 100) / 100

// A fuller card (presence, boosts, title, custom colours) for comparison.
const fullOptions = { showPresence: true, showBoosts: true, showTitle: true, colors: { background: "#ffeb3b" } }
const full = new Float64Array(RUNS)
for (let i = 0; i < RUNS; i++) {
  const start = process.hrtime.bigint()
  sink += renderWidget(freshView, fullOptions, context).length
  full[i] = Number(process.hrtime.bigint() - start) / 1000
}
full.sort()

const script = embedScript()
const embedMinBytes = Buffer.byteLength(script)
const embedGzipBytes = gzipSync(script, { level: 9 }).length

const result = {
  benchmark: "widget",
  node: process.version,
  date: new Date().toISOString(),
  runs: RUNS,
  renderWidgetMedianUs: at(0.5),
  renderWidgetP99Us: at(0.99),
  renderWidgetFullMedianUs: Math.round((full[Math.floor(RUNS / 2)] ?? 0) * 100) / 100,
  renderWidgetBytes: renderWidget(freshView, {}, context).length,
  embedMinBytes,
  embedGzipBytes,
  targetRenderWidgetMedianUs: TARGET_RENDER_MEDIAN_US,
  targetEmbedGzipBytes: TARGET_EMBED_GZIP_BYTES,
  meetsTargets: at(0.5) <= TARGET_RENDER_MEDIAN_US && embedGzipBytes <= TARGET_EMBED_GZIP_BYTES
}

console.log(`renderWidget (default options): median ${result.renderWidgetMedianUs} µs, p99 ${result.renderWidgetP99Us} µs over ${RUNS} runs (target ≤ ${TARGET_RENDER_MEDIAN_US} µs)`)
console.log(`renderWidget (presence, boosts, title, colours): median ${result.renderWidgetFullMedianUs} µs`)
console.log(`embed.js: ${embedMinBytes} B minified, ${embedGzipBytes} B min+gzip (target ≤ ${TARGET_EMBED_GZIP_BYTES} B)`)
if (sink === 0) console.log("")

mkdirSync(resolve(root, "bench/results"), { recursive: true })
writeFileSync(resolve(root, "bench/results/widget.json"), `${JSON.stringify(result, null, 2)}\n`)
if (!result.meetsTargets) process.exitCode = 1
