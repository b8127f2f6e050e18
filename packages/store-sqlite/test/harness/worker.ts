/**
 * Child processes for the crash and ownership tests. The worker script is bundled once per test file with
 * esbuild (workspace sources included, native `libsql` left external) into the repository's
 * `node_modules/.cache`, so each child is a plain `node worker.mjs`: a restart costs a process start, not a
 * TypeScript compilation. Children report JSON lines on stdout; the parent waits for them by predicate.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdirSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const here = dirname(fileURLToPath(import.meta.url))
export const repoRoot = resolve(here, "../../../..")

export const bundleWorker = async (name: string): Promise<string> => {
  const outDir = join(repoRoot, "node_modules/.cache/store-sqlite-tests")
  mkdirSync(outDir, { recursive: true })
  const outfile = join(outDir, `${name}-${process.pid}.mjs`)
  await build({
    entryPoints: [join(here, "../fixtures/storeWorker.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@guildpulse/source"],
    external: ["libsql", "@libsql/*"],
    outfile,
    // Smaller to parse: each child starts from this file.
    minify: true,
    logLevel: "warning"
  })
  return outfile
}

export interface WorkerMessage {
  readonly type: string
  readonly [key: string]: unknown
}

export interface Worker {
  readonly pid: number
  readonly messages: Array<WorkerMessage>
  readonly stderr: () => string
  readonly waitFor: (predicate: (message: WorkerMessage) => boolean, timeoutMs: number) => Promise<WorkerMessage>
  /** Resolves once `count` messages match (counting those already received). */
  readonly waitForCount: (predicate: (message: WorkerMessage) => boolean, count: number, timeoutMs: number) => Promise<void>
  readonly open: () => void
  readonly kill: (signal: NodeJS.Signals) => void
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

const living = new Set<ChildProcess>()
process.once("exit", () => {
  for (const child of living) child.kill("SIGKILL")
})

export const spawnWorker = (script: string, env: Record<string, string>): Worker => {
  const child = spawn(process.execPath, [script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"]
  })
  living.add(child)
  const messages: Array<WorkerMessage> = []
  const waiters = new Set<() => void>()
  let errorText = ""
  let buffered = ""
  child.stderr?.on("data", (data: Buffer) => {
    errorText = (errorText + data.toString()).slice(-20_000)
  })
  child.stdout?.on("data", (data: Buffer) => {
    buffered += data.toString()
    let newline = buffered.indexOf("\n")
    while (newline >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      newline = buffered.indexOf("\n")
      if (line.startsWith("{")) messages.push(JSON.parse(line) as WorkerMessage)
    }
    for (const waiter of [...waiters]) waiter()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) =>
    child.on("exit", (code, signal) => {
      living.delete(child)
      // stdout may still hold lines: let them arrive before waiters give up.
      setImmediate(() => {
        for (const waiter of [...waiters]) waiter()
        resolvePromise({ code, signal })
      })
    })
  )
  const waitForCount = (predicate: (message: WorkerMessage) => boolean, count: number, timeoutMs: number) =>
    new Promise<void>((resolvePromise, reject) => {
      const check = () => {
        if (messages.filter(predicate).length >= count) {
          cleanup()
          resolvePromise()
        } else if (child.exitCode !== null || child.signalCode !== null) {
          cleanup()
          reject(new Error(`worker ${child.pid} exited (${child.exitCode ?? child.signalCode}) before the expected message; stderr:\n${errorText}`))
        }
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`worker ${child.pid}: no expected message within ${timeoutMs} ms; stderr:\n${errorText}`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        waiters.delete(check)
      }
      waiters.add(check)
      check()
    })
  return {
    pid: child.pid ?? -1,
    messages,
    stderr: () => errorText,
    waitFor: async (predicate, timeoutMs) => {
      await waitForCount(predicate, 1, timeoutMs)
      return messages.find(predicate)!
    },
    waitForCount,
    open: () => void child.stdin?.write("open\n"),
    kill: (signal) => void child.kill(signal),
    exited
  }
}
