/**
 * The end-to-end harness: a real `guildpulse serve --sandbox` (the built binary) and a throw-away WordPress
 * (test/support/wp-e2e.sh: MariaDB on a socket, `php -S`), both waited for by their events (a log line, the
 * script's exit), and both stopped by PID on teardown — also when a test fails or the run is interrupted.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
export const pluginDir = join(packageDir, "dist/plugin/guildpulse")
const script = join(packageDir, "test/support/wp-e2e.sh")
const cliBin = resolve(packageDir, "../adapter-cli/dist/bin.js")

export const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolvePort(port))
    })
  })

/** Environment of children: nothing GuildPulse-related inherited. */
const cleanEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(GUILDPULSE_|DISCORD_|REDIS_URL$|PORT$|HOST$|LOG_)/.test(key)) env[key] = value
  }
  return env
}

export interface Service {
  readonly url: string
  readonly child: ChildProcess
  readonly stop: () => Promise<void>
}

/** `guildpulse serve --sandbox` on a free port; resolves once it prints its listening line. */
export const startService = async (adminKey: string): Promise<Service> => {
  const port = await freePort()
  const child = spawn(process.execPath, [cliBin, "serve", "--sandbox"], {
    env: { ...cleanEnv(), PORT: String(port), GUILDPULSE_ADMIN_KEY: adminKey, LOG_LEVEL: "none", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  living.add(child)
  const exited = new Promise<void>((done) => child.once("exit", () => (living.delete(child), done())))
  const url = await new Promise<string>((resolveUrl, reject) => {
    let output = ""
    const timer = setTimeout(() => reject(new Error(`guildpulse serve did not start:\n${output}`)), 120_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /GuildPulse listening on (http:\/\/[\d.]+:\d+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolveUrl(match[1])
      }
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`guildpulse serve exited (${code}):\n${output}`))
    })
  })
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
      await exited
    }
  }
}

const living = new Set<ChildProcess>()
const sites = new Set<string>()
/** Last resort when the run is interrupted: stop what was started, synchronously, by PID. */
process.once("exit", () => {
  for (const child of living) child.kill("SIGKILL")
  for (const dir of sites) spawnSync("bash", [script, "clean"], { env: { ...process.env, WP_E2E_DIR: dir }, stdio: "ignore" })
})

export interface Site {
  readonly url: string
  readonly dir: string
  readonly debugLog: string
  /** `wp eval` substitute: runs PHP inside WordPress (admin includes loaded, user 1); resolves with stdout. */
  readonly eval: (php: string) => Promise<string>
  readonly authCookieHeader: () => string
  readonly authCookies: () => Array<{ name: string; value: string; domain: string; path: string }>
  readonly clean: () => void
}

const run = (command: string, args: ReadonlyArray<string>, env: Record<string, string>, input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolveRun) => {
    const child = execFile(command, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolveRun({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
    if (input !== undefined) child.stdin?.end(input)
  })

/** A fresh WordPress with the built plugin activated; resolves when the script's smoke checks passed. */
export const startWordPress = async (): Promise<Site> => {
  const dir = join(mkdtempSync(join(tmpdir(), "gp-wp-")), "site")
  const port = await freePort()
  const env = { ...cleanEnv(), WP_E2E_DIR: dir, WP_PORT: String(port), PLUGIN_SRC: pluginDir }
  sites.add(dir)
  const started = await run("bash", [script, "start"], env)
  if (started.code !== 0) {
    spawnSync("bash", [script, "clean"], { env, stdio: "ignore" })
    sites.delete(dir)
    throw new Error(`WordPress did not start (${started.code}):\n${started.stdout}\n${started.stderr}`)
  }
  const url = `http://127.0.0.1:${port}`
  const evalPhp = async (php: string) => {
    const result = await run("php", [join(dir, "bin/wp-eval.php"), join(dir, "wp"), "-"], { ...env, WP_URL: url }, php)
    if (result.code !== 0) throw new Error(`wp-eval failed (${result.code}):\n${result.stdout}\n${result.stderr}`)
    return result.stdout
  }
  return {
    url,
    dir,
    debugLog: join(dir, "logs/wp-debug.log"),
    eval: evalPhp,
    authCookieHeader: () => readFileSync(join(dir, "auth-cookie-header.txt"), "utf8").trim(),
    authCookies: () => JSON.parse(readFileSync(join(dir, "auth-cookies.json"), "utf8")) as Array<{ name: string; value: string; domain: string; path: string }>,
    clean: () => {
      spawnSync("bash", [script, "clean"], { env, stdio: "ignore" })
      sites.delete(dir)
      rmSync(dirname(dir), { recursive: true, force: true })
    }
  }
}

/** The PHP log lines that concern the plugin (WordPress 6.1 on PHP 8.2 logs its own deprecations). */
export const pluginLogLines = (log: string): Array<string> => {
  let text = ""
  try {
    text = readFileSync(log, "utf8")
  } catch {
    return []
  }
  return text.split("\n").filter((line) => /guildpulse/i.test(line))
}
