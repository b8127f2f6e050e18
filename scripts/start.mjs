#!/usr/bin/env node
// `npm start`: builds what the demo needs (once, cached by turbo) and runs it.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"

const demo = "apps/demo"
if (!existsSync(`${demo}/package.json`)) {
  console.error("The demo app (apps/demo) is not there yet. See README.md.")
  process.exit(1)
}
const build = spawnSync("npx", ["turbo", "run", "build", "--filter=@guildpulse/demo...", "--output-logs=errors-only"], { stdio: "inherit" })
if (build.status !== 0) process.exit(build.status ?? 1)
const run = spawnSync(process.execPath, [`${demo}/dist/main.js`], { stdio: "inherit" })
process.exit(run.status ?? 0)
