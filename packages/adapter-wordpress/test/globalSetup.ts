/**
 * Before the end-to-end test: the installable plugin (dist/plugin/guildpulse, the zip) and the `guildpulse`
 * binary it is configured against (packages/adapter-cli/dist/bin.js, rebuilt when a workspace source is newer).
 */
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { buildPlugin } from "../scripts/build-plugin.js"

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const cliDir = resolve(packageDir, "../adapter-cli")

const newest = (dir: string): number =>
  readdirSync(dir).reduce((latest, name) => {
    const path = join(dir, name)
    const stat = statSync(path)
    return Math.max(latest, stat.isDirectory() ? newest(path) : stat.mtimeMs)
  }, 0)

export default async function setup() {
  await buildPlugin()
  const bin = join(cliDir, "dist/bin.js")
  const packagesDir = resolve(packageDir, "..")
  const sources = Math.max(...readdirSync(packagesDir).map((p) => (existsSync(join(packagesDir, p, "src")) ? newest(join(packagesDir, p, "src")) : 0)))
  if (!existsSync(bin) || statSync(bin).mtimeMs < sources) {
    execFileSync(process.execPath, [resolve(packageDir, "../../node_modules/tsup/dist/cli-default.js")], {
      cwd: cliDir,
      env: { ...process.env, GUILDPULSE_CLI_NO_DTS: "1" },
      stdio: ["ignore", "ignore", "inherit"]
    })
  }
}
