import { execFileSync } from "node:child_process"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")

/** Builds the binary once for the whole run (no declarations: the tests need only dist/bin.js). */
export default function setup() {
  execFileSync(process.execPath, [resolve(packageDir, "../../node_modules/tsup/dist/cli-default.js")], {
    cwd: packageDir,
    env: { ...process.env, GUILDPULSE_CLI_NO_DTS: "1" },
    stdio: ["ignore", "ignore", "inherit"]
  })
}
