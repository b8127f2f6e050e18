/**
 * A throw-away `redis-server` per test file: a free port on 127.0.0.1, no persistence, stopped on teardown.
 * It can be stopped and started again on the same port (the outage tests), which — without persistence —
 * brings Redis back empty, as a restart of a cache-only Redis would.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync } from "node:fs"
import { createConnection, createServer } from "node:net"

export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly running: () => boolean
  /** Stops the server (SIGTERM, waits for exit). */
  readonly stop: () => Promise<void>
  /** Starts it again on the same port and waits until it answers PING. */
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

const ping = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port })
    let answer = ""
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.on("error", () => done(false))
    socket.on("connect", () => socket.write("PING\r\n"))
    socket.on("data", (data) => {
      answer += data.toString()
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG"))
    })
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const startRedisServer = async (): Promise<RedisServer> => {
  const bin = binary()
  const port = await freePort()
  let child: ChildProcess | undefined

  const start = async () => {
    if (child !== undefined) return
    const spawned = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning"], {
      stdio: ["ignore", "ignore", "pipe"]
    })
    child = spawned
    spawned.on("exit", () => {
      if (child === spawned) child = undefined
    })
    for (let i = 0; i < 200; i++) {
      if (await ping(port)) return
      if (child === undefined) throw new Error(`redis-server exited while starting on port ${port}`)
      await sleep(25)
    }
    throw new Error(`redis-server did not answer PING on port ${port}`)
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
