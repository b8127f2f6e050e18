/**
 * Child processes for the multi-process tests: `node --conditions=@guildpulse/source --import tsx <script>`
 * from the repository root, with an IPC channel. Children send `{ type, … }` messages; the parent waits for
 * them by predicate.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..")
export const fixture = (name: string) => resolve(dirname(fileURLToPath(import.meta.url)), "../fixtures", name)

export interface ChildMessage {
  readonly type: string
  readonly [key: string]: unknown
}

export interface Child {
  readonly process: ChildProcess
  readonly pid: number
  readonly messages: Array<ChildMessage>
  readonly stderr: () => string
  readonly waitFor: (predicate: (message: ChildMessage) => boolean, timeoutMs: number) => Promise<ChildMessage>
  readonly send: (message: ChildMessage) => void
  readonly exited: Promise<number | null>
  readonly kill: (signal: NodeJS.Signals) => void
}

/** Children still running, killed if the test process exits first. */
const living = new Set<ChildProcess>()
process.once("exit", () => {
  for (const child of living) child.kill("SIGKILL")
})

export const spawnTsx = (script: string, env: Record<string, string>): Child => {
  const child = spawn(process.execPath, ["--conditions=@guildpulse/source", "--import", "tsx", script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe", "ipc"]
  })
  living.add(child)
  child.on("exit", () => living.delete(child))
  const messages: Array<ChildMessage> = []
  const waiters = new Set<() => void>()
  let errorText = ""
  child.stderr?.on("data", (data: Buffer) => {
    errorText = (errorText + data.toString()).slice(-20_000)
  })
  child.on("message", (message: ChildMessage) => {
    messages.push(message)
    for (const waiter of [...waiters]) waiter()
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => {
    for (const waiter of [...waiters]) waiter()
    resolve(code)
  }))
  return {
    process: child,
    pid: child.pid ?? -1,
    messages,
    stderr: () => errorText,
    waitFor: (predicate, timeoutMs) =>
      new Promise((resolvePromise, reject) => {
        const check = () => {
          const found = messages.find(predicate)
          if (found !== undefined) {
            cleanup()
            resolvePromise(found)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup()
            reject(new Error(`child ${child.pid} exited (${child.exitCode ?? child.signalCode}) before the expected message; stderr:\n${errorText}`))
          }
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`child ${child.pid}: no expected message within ${timeoutMs} ms; stderr:\n${errorText}`))
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      }),
    send: (message) => {
      if (child.connected) child.send(message)
    },
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    }
  }
}

/** Sends a message from a child to its parent (no-op when run standalone). */
export const toParent = (message: ChildMessage): void => {
  if (process.send !== undefined) process.send(message)
}

/** Resolves on the first parent message of the given type. */
export const fromParent = (type: string): Promise<ChildMessage> =>
  new Promise((resolve) => {
    const listener = (message: ChildMessage) => {
      if (message.type === type) {
        process.off("message", listener)
        resolve(message)
      }
    }
    process.on("message", listener)
  })
