/** The `guildpulse-sandbox` command as a user runs it: a real node process (sources through tsx without a build). */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../bin/guildpulse-sandbox.mjs", import.meta.url))

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const run = (args: ReadonlyArray<string>): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

describe("guildpulse-sandbox command line (node:util parseArgs)", () => {
  it.each([
    [["--bogus"], "guildpulse-sandbox: unknown option '--bogus'"],
    [["--port"], "guildpulse-sandbox: --port needs a value"],
    [["--port", "http"], "guildpulse-sandbox: --port must be an integer 0-65535, got 'http'"],
    [["--port=70000"], "guildpulse-sandbox: --port must be an integer 0-65535, got '70000'"],
    [["--host="], "guildpulse-sandbox: --host needs a value"],
    [["--help=yes"], "guildpulse-sandbox: --help takes no value"],
    [["8788"], "guildpulse-sandbox: unexpected argument '8788' (flags only)"]
  ])("%j exits 2 with one clear line and the usage", async (args, message) => {
    const result = await run(args)
    expect(result.code).toBe(2)
    expect(result.stderr.split("\n")[0]).toBe(message)
    expect(result.stderr).toContain("Usage: guildpulse-sandbox [--port <port>] [--host <host>]")
    expect(result.stdout).toBe("")
  })

  it("--help prints the usage and exits 0", async () => {
    const result = await run(["--help"])
    expect(result.code).toBe(0)
    expect(result.stdout.startsWith("Usage: guildpulse-sandbox")).toBe(true)
    expect(result.stderr).toBe("")
  })

  it("--port 0 --host 127.0.0.1 starts the sandbox, which answers, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "--port", "0", "--host", "127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] })
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ""
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString()
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
          if (m?.[1] !== undefined) resolve(m[1])
        })
        child.on("close", (code) => reject(new Error(`exited ${code} before listening: ${out}`)))
      })
      const response = await fetch(`${url}/__sandbox/stats`)
      expect(response.status).toBe(200)
    } finally {
      child.kill("SIGTERM")
    }
    expect(await exited).toBe(0)
  }, 60_000)
})
