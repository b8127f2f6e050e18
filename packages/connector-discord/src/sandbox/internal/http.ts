/** The small node:http helpers the sandbox's routes share: JSON pages, guarded writes, bounded bodies. */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Page } from "./bodies.js"

export const MAX_CONTROL_BODY_BYTES = 64 * 1024

export const json = (value: unknown): Page => ({ contentType: "application/json", body: JSON.stringify(value) })

export const isClosed = (res: ServerResponse): boolean => res.writableEnded || res.destroyed || res.socket === null || res.socket.destroyed

/** Writes a whole answer, unless the client is gone. */
export const write = (res: ServerResponse, status: number, page: Page, headers: Record<string, string> = {}): void => {
  if (isClosed(res)) return
  res.writeHead(status, { "Content-Type": page.contentType, "Content-Length": String(Buffer.byteLength(page.body)), ...headers })
  res.end(page.body)
}

/** The request body as text; undefined when it exceeds `maxBytes` (the request is then destroyed). */
export const readBody = (req: IncomingMessage, maxBytes = MAX_CONTROL_BODY_BYTES): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        resolve(undefined)
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

/** Timers the server can cancel all at once when it stops. */
export const makeTimers = () => {
  const timers = new Set<NodeJS.Timeout>()
  return {
    delay: (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer)
          resolve()
        }, ms)
        timers.add(timer)
      }),
    cancelAll: (): void => {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    }
  }
}

export const formatUrl = (host: string, port: number): string => {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`
}
