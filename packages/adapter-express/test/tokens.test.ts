import { Engine, Tokens, TokenVerifier } from "@guildpulse/core"
import { Effect, Layer, ManagedRuntime, Redacted, TestClock, TestContext } from "effect"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Authenticator, createServer } from "../src/index.js"
import { ADMIN_KEY, auth, BOT_TOKEN, defaultProfiles, GUILD_ID, makeSource, START_MS, testRetry } from "./fixtures.js"

const NEW_TOKEN = "MTIzNDU2Nzg5.NEW-BOT-TOKEN.abc"
const ELSEWHERE_TOKEN = "MTIzNDU2Nzg5.OTHER-GUILD.abc"
const SCOPED_KEY = "scoped-key-0123456789abcdef"
const EDITOR_NO_TOKENS = "profiles-writer-0123456789abcdef"

const authenticator = Authenticator.fromTable([
  { key: Redacted.make(SCOPED_KEY), principal: { subject: "scoped", scopes: new Set(["tokens:write", "profiles:read"]), profiles: new Set(["main"]) } },
  { key: Redacted.make(EDITOR_NO_TOKENS), principal: { subject: "writer", scopes: new Set(["profiles:write"]), profiles: "*" } }
])

describe("token routes", () => {
  let app: ReturnType<typeof createServer>["app"]
  let runtime: ManagedRuntime.ManagedRuntime<Engine.Services, never>
  const bodies: Array<string> = []
  const send = async (call: request.Test) => {
    const res = await call
    bodies.push(res.text)
    return res
  }
  beforeAll(async () => {
    const source = makeSource()
    runtime = ManagedRuntime.make(
      Engine.layerMemory({ scheduler: false, profiles: defaultProfiles(), tokens: { main: BOT_TOKEN }, refresher: testRetry }).pipe(
        Layer.provide(source.layer),
        Layer.provideMerge(TestContext.TestContext)
      )
    )
    await runtime.runPromise(TestClock.setTime(START_MS))
    const tokens = await runtime.runPromise(
      Tokens.make({ revalidateEvery: false }).pipe(
        Effect.provide(TokenVerifier.layerStatic({
          [BOT_TOKEN]: { botId: "1", botName: "Pulse", guildIds: [GUILD_ID] },
          [NEW_TOKEN]: { botId: "1", botName: "Pulse", guildIds: [GUILD_ID] },
          [ELSEWHERE_TOKEN]: { botId: "2", botName: "Other", guildIds: ["999999999999999999"] }
        }))
      )
    )
    const server = createServer({ adminKey: Redacted.make(ADMIN_KEY), authenticator, runtime, tokens })
    await server.router.ready
    app = server.app
  })
  afterAll(() => runtime.dispose())

  it("PUT checks the token and answers its metadata, never the token", async () => {
    const res = await send(request(app).put("/v1/profiles/main/token").set(auth).send({ token: NEW_TOKEN }))
    expect(res.status).toBe(200)
    const now = new Date(START_MS).toISOString()
    expect(res.body).toEqual({ profile: "main", token: { present: true, status: "valid", rotatedAt: now, lastValidatedAt: now } })
    const profile = await send(request(app).get("/v1/profiles/main").set(auth))
    expect(profile.body.token.rotatedAt).toBe(now)
  })

  it("PUT refuses an unknown token (422 invalid_token) and a bot outside the guild (422 bot_not_in_guild)", async () => {
    const unknown = await send(request(app).put("/v1/profiles/main/token").set(auth).send({ token: "MTIz.unknown.token" }))
    expect(unknown.status).toBe(422)
    expect(unknown.headers["content-type"]).toMatch(/^application\/problem\+json/)
    expect(unknown.body.code).toBe("invalid_token")
    expect(unknown.body.errors[0].field).toBe("token")
    const elsewhere = await send(request(app).put("/v1/profiles/main/token").set(auth).send({ token: ELSEWHERE_TOKEN }))
    expect(elsewhere.status).toBe(422)
    expect(elsewhere.body.code).toBe("bot_not_in_guild")
    expect(elsewhere.body.detail).toContain(GUILD_ID)
  })

  it("bad input is a 400 naming the field; unknown profile 404; missing scope 403; another profile's key 404", async () => {
    const missing = await send(request(app).put("/v1/profiles/main/token").set(auth).send({ tok: "x" }))
    expect(missing.status).toBe(400)
    expect(missing.body.errors[0].field).toBe("token")
    const blank = await send(request(app).put("/v1/profiles/main/token").set(auth).send({ token: "has space" }))
    expect(blank.status).toBe(400)
    expect(blank.body.errors[0].field).toBe("token")
    expect((await send(request(app).put("/v1/profiles/nobody/token").set(auth).send({ token: NEW_TOKEN }))).status).toBe(404)
    const noScope = await send(request(app).put("/v1/profiles/main/token").set("Authorization", `Bearer ${EDITOR_NO_TOKENS}`).send({ token: NEW_TOKEN }))
    expect(noScope.status).toBe(403)
    expect(noScope.body.detail).toContain("tokens:write")
    const other = await send(request(app).put("/v1/profiles/demo/token").set("Authorization", `Bearer ${SCOPED_KEY}`).send({ token: NEW_TOKEN }))
    expect(other.status).toBe(404)
    const reencrypt = await send(request(app).post("/v1/tokens/reencrypt").set("Authorization", `Bearer ${SCOPED_KEY}`))
    expect(reencrypt.status).toBe(403)
  })

  it("validate re-checks the stored token; DELETE removes it; reencrypt reports the vault", async () => {
    const valid = await send(request(app).post("/v1/profiles/main/token/validate").set(auth))
    expect(valid.status).toBe(200)
    expect(valid.body.token.status).toBe("valid")
    const removed = await send(request(app).delete("/v1/profiles/main/token").set(auth))
    expect(removed.status).toBe(200)
    expect(removed.body.token).toEqual({ present: false, status: "missing" })
    const reencrypt = await send(request(app).post("/v1/tokens/reencrypt").set(auth))
    expect(reencrypt.status).toBe(200)
    expect(reencrypt.body).toEqual({ rewritten: 0, unchanged: 0, unreadable: [] })
  })

  it("no answer of this suite contains a token", () => {
    expect(bodies.length).toBeGreaterThan(10)
    for (const body of bodies) for (const token of [BOT_TOKEN, NEW_TOKEN, ELSEWHERE_TOKEN, "MTIz.unknown.token"]) expect(body).not.toContain(token)
  })
})
