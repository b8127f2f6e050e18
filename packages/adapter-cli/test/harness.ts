/**
 * Runs the built `guildpulse` binary (dist/bin.js, built by globalSetup) as a child process, and waits for
 * what it prints — never for a fixed time.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")
export const binPath = resolve(packageDir, "dist/bin.js")

/** Environment of every child: no inherited GuildPulse settings, no colours. */
const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (/^(GUILDPULSE_|DISCORD_|OTEL_|REDIS_URL$|SMTP_URL$|PORT$|HOST$|LOG_)/.test(key)) continue
    env[key] = value
  }
  return { ...env, NO_COLOR: "1", FORCE_COLOR: "0" }
}

export interface Running {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  readonly output: () => string
  /** Resolves with the first match of `pattern` in stdout+stderr (rejects on exit or timeout). */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>
  readonly exited: Promise<number | null>
  readonly signal: (signal: NodeJS.Signals) => void
}

const living = new Set<ChildProcess>()
process.once("exit", () => {
  for (const child of living) child.kill("SIGKILL")
})

export const start = (args: ReadonlyArray<string>, options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {}): Running => {
  const child = spawn(process.execPath, [binPath, ...args], {
    cwd: options.cwd ?? packageDir,
    env: { ...baseEnv(), ...options.env },
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"]
  })
  if (options.stdin !== undefined) child.stdin?.end(options.stdin)
  living.add(child)
  let out = ""
  let err = ""
  const listeners = new Set<() => void>()
  const notify = () => listeners.forEach((l) => l())
  child.stdout?.on("data", (d: Buffer) => ((out += d.toString()), notify()))
  child.stderr?.on("data", (d: Buffer) => ((err += d.toString()), notify()))
  const exited = new Promise<number | null>((resolvePromise) =>
    child.on("exit", (code) => {
      living.delete(child)
      notify()
      resolvePromise(code)
    })
  )
  let hasExited = false
  void exited.then(() => (hasExited = true))
  const waitFor = (pattern: RegExp, timeoutMs = 45_000) =>
    new Promise<RegExpMatchArray>((resolvePromise, reject) => {
      const check = () => {
        const match = (out + err).match(pattern)
        if (match !== null) {
          cleanup()
          resolvePromise(match)
        } else if (hasExited || child.exitCode !== null) {
          cleanup()
          reject(new Error(`process exited (${child.exitCode}) before ${pattern}:\n${out}\n${err}`))
        }
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`timed out waiting for ${pattern}:\n${out}\n${err}`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        listeners.delete(check)
      }
      listeners.add(check)
      check()
    })
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    output: () => out + err,
    waitFor,
    exited,
    signal: (signal) => void child.kill(signal)
  }
}

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to completion. */
export const run = async (args: ReadonlyArray<string>, options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {}): Promise<Result> => {
  const running = start(args, options)
  const code = await running.exited
  return { code, stdout: running.stdout(), stderr: running.stderr() }
}

/** A fresh temporary directory. */
export const tempDir = (): string => mkdtempSync(join(tmpdir(), "guildpulse-cli-"))

export const writeJson = (dir: string, name: string, value: unknown): string => {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(value, null, 2))
  return file
}

/** A running `guildpulse sandbox` on a free port. */
export const startSandbox = async () => {
  const sandbox = start(["sandbox", "--port", "0"])
  const [, url] = await sandbox.waitFor(/listening on (http:\/\/[\d.]+:\d+)/)
  return { ...sandbox, url: url as string }
}

/** A running `guildpulse serve`, with its listening URL. */
export const startServe = async (args: ReadonlyArray<string>, env: Record<string, string>, cwd?: string) => {
  const serve = start(["serve", ...args], { env: { PORT: "0", ...env }, ...(cwd !== undefined ? { cwd } : {}) })
  const [, url] = await serve.waitFor(/GuildPulse listening on (http:\/\/[\d.]+:\d+)/)
  return { ...serve, url: url as string }
}
