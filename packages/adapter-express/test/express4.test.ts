/**
 * The router under Express 4 (the `express4` dev alias), mounted under a prefix in a host app: the same
 * public and admin behaviour as under Express 5 — routing, bodies, ETag/304, problems, 405, fall-through.
 */
import { Engine } from "@guildpulse/core"
import { Layer, ManagedRuntime, Redacted } from "effect"
// @ts-expect-error the alias has no types of its own (they are those of express 5's @types)
import express4 from "express4"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { guildPulse } from "../src/index.js"
import { ADMIN_KEY, auth, BOT_TOKEN, defaultProfiles, makeSource, testRetry } from "./fixtures.js"

const version: string = (await import("express4/package.json", { with: { type: "json" } })).default.version

let app: import("express").Express
let runtime: ManagedRuntime.ManagedRuntime<Engine.Services, never>

beforeAll(async () => {
  const source = makeSource()
  runtime = ManagedRuntime.make(
    Engine.layerMemory({ scheduler: false, profiles: defaultProfiles(), tokens: { main: BOT_TOKEN }, refresher: testRetry }).pipe(Layer.provide(source.layer))
  )
  const router = guildPulse({ runtime, adminKey: Redacted.make(ADMIN_KEY) })
  await router.ready
  app = (express4 as () => import("express").Express)()
  app.get("/", (_req, res) => void res.send("host home"))
  app.use("/discord", router)
  app.use((_req, res) => void res.status(404).send("host 404"))
})
afterAll(() => runtime.dispose())

describe("guildPulse() under Express 4", () => {
  it("runs on express 4", () => expect(version.startsWith("4.")).toBe(true))

  it("serves stats with ETag and 304 under a mount path", async () => {
    const first = await request(app).get("/discord/v1/profiles/main/stats")
    expect(first.status).toBe(200)
    expect(first.body.profile).toBe("main")
    expect(first.headers["cache-control"]).toMatch(/max-age=\d+/)
    const again = await request(app).get("/discord/v1/profiles/main/stats").set("If-None-Match", first.headers["etag"] as string)
    expect(again.status).toBe(304)
  })

  it("answers problems: 400 naming the parameter, 404 unknown profile, 401 admin, 405 with Allow", async () => {
    const bad = await request(app).get("/discord/v1/profiles/Bad!Key/stats")
    expect(bad.status).toBe(400)
    expect(bad.headers["content-type"]).toMatch(/application\/problem\+json/)
    expect(bad.body.errors[0].field).toBe("profile")
    expect((await request(app).get("/discord/v1/profiles/nope/stats")).status).toBe(404)
    const anon = await request(app).get("/discord/v1/profiles")
    expect(anon.status).toBe(401)
    expect(anon.headers["www-authenticate"]).toMatch(/Bearer/)
    const wrongMethod = await request(app).delete("/discord/v1/profiles/main/stats")
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers["allow"]).toMatch(/GET/)
  })

  it("reads JSON bodies for admin writes and leaves the host's routes alone", async () => {
    const created = await request(app)
      .put("/discord/v1/profiles/express4")
      .set(auth)
      .send({ label: "Express 4", guildId: "223456789012345678" })
    expect(created.status).toBe(201)
    expect(created.headers["location"]).toBe("/discord/v1/profiles/express4")
    const invalid = await request(app).patch("/discord/v1/profiles/express4").set(auth).send({ refresh: { ttlSeconds: 1 } })
    expect(invalid.status).toBe(400)
    expect(invalid.body.errors[0].field).toBe("refresh.ttlSeconds")
    expect((await request(app).get("/")).text).toBe("host home")
    expect((await request(app).get("/elsewhere")).text).toBe("host 404")
  })
})
