#!/usr/bin/env node
// Runs the full `npm test` several times in a row while scripts/cpu-burner.mjs keeps every core busy, and
// prints each run's wall time and result. Exit code 0 only if every run passed.
//   node scripts/stress-tests.mjs [--runs 5] [--workers N] [-- extra vitest args]
import { spawn } from "node:child_process"
import { availableParallelism } from "node:os"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const { values, positionals } = parseArgs({
  options: { runs: { type: "string", default: "5" }, workers: { type: "string" } },
  allowPositionals: true
})
const runs = Number(values.runs)
const workers = Number(values.workers ?? availableParallelism())

const burner = spawn(process.execPath, [resolve(root, "scripts/cpu-burner.mjs"), "--workers", String(workers), "--max-seconds", "7200"], {
  stdio: ["ignore", "inherit", "inherit"]
})
const stopBurner = () => {
  if (burner.exitCode === null) burner.kill("SIGTERM")
}
process.on("exit", stopBurner)
process.on("SIGINT", () => process.exit(130))
process.on("SIGTERM", () => process.exit(143))

const runOnce = () =>
  new Promise((resolveRun) => {
    const started = process.hrtime.bigint()
    const child = spawn("npm", ["test", "--", ...positionals], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let tail = ""
    const keep = (data) => {
      process.stdout.write(data)
      tail = (tail + data.toString()).slice(-4000)
    }
    child.stdout.on("data", keep)
    child.stderr.on("data", keep)
    child.on("exit", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const summary = tail.match(/Tests\s+[^\n]+/g)?.at(-1)?.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "").trim() ?? ""
      resolveRun({ code, seconds, summary })
    })
  })

const results = []
for (let i = 1; i <= runs; i++) {
  console.log(`\n===== stress run ${i}/${runs} (npm test, ${workers} burner worker(s)) =====`)
  const result = await runOnce()
  results.push(result)
  console.log(`===== run ${i}: ${result.code === 0 ? "PASS" : `FAIL (exit ${result.code})`} in ${result.seconds.toFixed(1)} s — ${result.summary}`)
}
stopBurner()
console.log("\nrun  result  wall time  tests")
results.forEach((r, i) => console.log(`${String(i + 1).padStart(3)}  ${r.code === 0 ? "PASS  " : "FAIL  "}  ${r.seconds.toFixed(1).padStart(7)} s  ${r.summary}`))
process.exit(results.every((r) => r.code === 0) ? 0 : 1)
