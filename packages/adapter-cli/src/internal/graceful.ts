/**
 * Graceful close of an HTTP server that loses no request a client has already sent.
 *
 * Node's `server.close()` stops listening at once — the connections still waiting in the kernel's accept
 * queue are reset — and also closes "idle" connections, which include a connection just accepted whose
 * request has not been read yet. On a busy machine that is most of a burst. Here, once closing starts:
 * every answer closes its connection (`Connection: close`); keep-alive connections between requests are
 * closed; the listening socket stays open (answering, not refusing) until no request is in flight and no new
 * connection has arrived for `quietMs`; then it stops listening and resolves when the last connection has
 * ended. After `timeoutMs` the remaining connections are cut.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { Server as NetServer, type Socket } from "node:net"

/** Quiet time (no request in flight, no new connection) after which a closing server stops listening. */
export const DEFAULT_QUIET_MS = 300
const CHECK_EVERY_MS = 25

interface Tracked {
  served: number
  active: number
}

export interface GracefulServer {
  readonly close: (timeoutMs: number, quietMs?: number) => Promise<void>
}

export const track = (server: Server): GracefulServer => {
  const sockets = new Map<Socket, Tracked>()
  let closing = false
  let inFlight = 0
  let lastConnectionAt = 0
  const closeIdle = () => {
    for (const [socket, state] of sockets) {
      if (state.active === 0 && state.served > 0) socket.destroySoon()
    }
  }
  server.on("connection", (socket: Socket) => {
    lastConnectionAt = performance.now()
    sockets.set(socket, { served: 0, active: 0 })
  })
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const state = sockets.get(req.socket)
    inFlight += 1
    if (state !== undefined) state.active += 1
    if (closing) res.shouldKeepAlive = false
    res.once("close", () => {
      inFlight -= 1
      if (state === undefined) return
      state.active -= 1
      state.served += 1
      if (closing && state.active === 0) req.socket.destroySoon()
    })
  })

  let closed: Promise<void> | undefined
  const close = (timeoutMs: number, quietMs = DEFAULT_QUIET_MS) =>
    (closed ??= new Promise<void>((resolve) => {
      closing = true
      closeIdle()
      const timer = setTimeout(() => {
        if (server.listening) NetServer.prototype.close.call(server)
        server.closeAllConnections()
      }, timeoutMs)
      timer.unref()
      const stopWhenQuiet = () => {
        if (inFlight > 0 || performance.now() - lastConnectionAt < quietMs) {
          setTimeout(stopWhenQuiet, CHECK_EVERY_MS)
          return
        }
        // net.Server#close: stop accepting, call back once every connection has ended.
        NetServer.prototype.close.call(server, () => {
          clearTimeout(timer)
          resolve()
        })
        closeIdle()
      }
      stopWhenQuiet()
    }))
  return { close }
}
