#!/usr/bin/env node
// Runs every committed benchmark in turn (each prints its own side-by-side table and writes
// bench/results/<name>.json). `npm run bench -- core http` runs only the named ones.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"

const benchmarks = [
  { name: "core", file: "packages/core/bench/core.bench.ts" },
  { name: "connector", file: "packages/connector-discord/bench/connector.bench.ts" },
  { name: "widget", file: "packages/widget/bench/render.bench.ts" },
  { name: "http", file: "packages/adapter-express/bench/http.bench.ts" },
  { name: "console", file: "packages/adapter-express/bench/console.bench.ts" },
  { name: "redis", file: "packages/store-redis/bench/redis.bench.ts" },
  { name: "sqlite", file: "packages/store-sqlite/bench/sqlite.bench.ts" },
  { name: "recovery", file: "bench/recovery.bench.ts" },
  { name: "analytics", file: "bench/analytics.bench.ts" },
  { name: "wordpress", file: "packages/adapter-wordpress/bench/wordpress.bench.ts" }
]
const only = process.argv.slice(2)
let failed = 0
for (const bench of benchmarks) {
  if (only.length > 0 && !only.includes(bench.name)) continue
  if (!existsSync(bench.file)) continue
  console.log(`\n=== bench: ${bench.name} (${bench.file}) ===`)
  const run = spawnSync(process.execPath, ["--expose-gc", "--conditions=@guildpulse/source", "--import", "tsx", bench.file], { stdio: "inherit" })
  if (run.status !== 0) failed += 1
}
process.exit(failed === 0 ? 0 : 1)
