#!/usr/bin/env node
// Keeps N cores busy until killed, to check that the tests pass on a loaded machine.
//   node scripts/cpu-burner.mjs [--workers N] [--max-seconds S]
// Defaults: one worker per core (os.availableParallelism()), and it stops by itself after 30 minutes, so a
// forgotten burner cannot hold a machine for ever. SIGINT/SIGTERM stop it (and its workers) at once.
import { availableParallelism } from "node:os"
import { parseArgs } from "node:util"
import { isMainThread, Worker } from "node:worker_threads"

if (!isMainThread) {
  // A worker: spin until the main thread terminates it.
  let x = 0
  for (;;) x = (x * 1664525 + 1013904223) % 4294967296
}

const { values } = parseArgs({
  options: { workers: { type: "string" }, "max-seconds": { type: "string" } }
})
const workers = Number(values.workers ?? availableParallelism())
const maxSeconds = Number(values["max-seconds"] ?? 1800)
if (!(Number.isInteger(workers) && workers >= 1) || !(maxSeconds > 0)) {
  console.error("usage: cpu-burner.mjs [--workers N>=1] [--max-seconds S>0]")
  process.exit(2)
}

const threads = Array.from({ length: workers }, () => new Worker(new URL(import.meta.url)))
const stop = (why) => {
  console.error(`cpu-burner: stopping (${why})`)
  Promise.all(threads.map((t) => t.terminate())).then(() => process.exit(0))
}
process.on("SIGINT", () => stop("SIGINT"))
process.on("SIGTERM", () => stop("SIGTERM"))
setTimeout(() => stop(`max ${maxSeconds} s reached`), maxSeconds * 1000)
console.error(`cpu-burner: ${workers} busy worker(s), pid ${process.pid}, at most ${maxSeconds} s`)
