#!/usr/bin/env node
// Fails when a captured output (the whole test run's log, a report file) contains a sandbox bot token.
// The sandbox's tokens all have the shape below (connector-discord sandbox fixtures); the suite uses them for every
// bot-token path, so any leak into logs, errors or responses printed during the run shows up here.
//   node scripts/secret-scan.mjs <file> [<file>…]
import { readFileSync } from "node:fs"

const sandboxToken = /sandbox\.guildpulse-bot\.[0-9]{10,}/g
const files = process.argv.slice(2)
if (files.length === 0) {
  console.error("usage: secret-scan.mjs <file> [<file>…]")
  process.exit(2)
}
let leaks = 0
for (const file of files) {
  const lines = readFileSync(file, "utf8").split("\n")
  lines.forEach((line, i) => {
    const found = line.match(sandboxToken)
    if (found !== null) {
      leaks += found.length
      // Say where, never echo the token itself.
      console.error(`${file}:${i + 1}: a sandbox bot token appears in the captured output`)
    }
  })
}
console.log(leaks === 0 ? `secret-scan: no sandbox bot token in ${files.length} captured output(s)` : `secret-scan: ${leaks} leak(s)`)
process.exit(leaks === 0 ? 0 : 1)
