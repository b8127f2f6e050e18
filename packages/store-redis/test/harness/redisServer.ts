/**
 * A throw-away `redis-server` per test file: a free port on 127.0.0.1, no persistence, stopped on teardown.
 * It can be stopped and started again on the same port (the outage tests), which — without persistence —
 * brings Redis back empty, as a restart of a cache-only Redis would.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync } from "node:fs"
import { createServer } from "node:net"

export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly running: () => boolean
  /** Stops the server (SIGTERM, waits for exit). */
  readonly stop: () => Promise<void>
  /** Starts it again on the same port and waits until it logs that it accepts connections. */
  readonly start: () => Promise<void>
}

const binary = (): string => {
  const candidates = [process.env["REDIS_SERVER_BIN"], "/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]
  for (const candidate of candidates) if (candidate !== undefined && existsSync(candidate)) return candidate
  throw new Error("redis-server not found: install the Debian package `redis-server` (.ci/run does) or set REDIS_SERVER_BIN")
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Resolves when the server logs that it accepts connections; rejects if it exits first. */
const whenReady = (child: ChildProcess, port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    let log = ""
    const onData = (data: Buffer) => {
      log = (log + data.toString()).slice(-10_000)
      if (log.includes("Ready to accept connections")) {
        cleanup()
        resolve()
      }
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup()
      reject(new Error(`redis-server exited (${code ?? signal}) while starting on port ${port}:\n${log}`))
    }
    const cleanup = () => {
      child.stdout?.off("data", onData)
      child.off("exit", onExit)
      // Keep draining the pipe so the server never blocks on a full buffer.
      child.stdout?.resume()
    }
    child.stdout?.on("data", onData)
    child.once("exit", onExit)
  })

export const startRedisServer = async (): Promise<RedisServer> => {
  const bin = binary()
  const port = await freePort()
  let child: ChildProcess | undefined

  // Started when it says so on its log (not after polling for a while): no guess at how long a busy machine takes.
  const start = async () => {
    if (child !== undefined) return
    const spawned = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "notice"], {
      stdio: ["ignore", "pipe", "ignore"]
    })
    child = spawned
    spawned.on("exit", () => {
      if (child === spawned) child = undefined
    })
    await whenReady(spawned, port)
  }

  const stop = async () => {
    const running = child
    if (running === undefined) return
    child = undefined
    await new Promise<void>((resolve) => {
      running.once("exit", () => resolve())
      running.kill("SIGTERM")
      setTimeout(() => running.kill("SIGKILL"), 3000).unref()
    })
  }

  // Never leave a server behind, even when the test process dies early.
  process.once("exit", () => child?.kill("SIGKILL"))
  await start()
  return { port, url: `redis://127.0.0.1:${port}`, running: () => child !== undefined, stop, start }
}

let prefixSeq = 0
/** A key prefix of its own per test, so tests sharing a server never see each other's keys. */
export const uniquePrefix = (name = "t"): string => `${name}${process.pid}-${++prefixSeq}:`
