/** The vitest side of the harness: one redis-server per test file. */
import { afterAll, beforeAll } from "vitest"
import { startRedisServer, type RedisServer } from "./redisServer.js"

export { uniquePrefix } from "./redisServer.js"

/** Registers `beforeAll`/`afterAll` for a server shared by the file; call the getter inside tests. */
export const useRedisServer = (): (() => RedisServer) => {
  let server: RedisServer | undefined
  beforeAll(async () => {
    server = await startRedisServer()
  }, 30_000)
  afterAll(async () => {
    await server?.stop()
  })
  return () => {
    if (server === undefined) throw new Error("redis-server not started (use inside a test)")
    return server
  }
}

