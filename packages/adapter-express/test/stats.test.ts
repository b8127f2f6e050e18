import { Engine, ProfileRepository, SnapshotStore, StoreError, type ProfileKey, type Snapshot } from "@guildpulse/core"
import { Effect, Layer, ManagedRuntime } from "effect"
import express from "express"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { guildPulse } from "../src/index.js"
import { ADMIN_KEY, auth, defaultProfiles, makeHarness, makeSource, testRetry, type Harness } from "./fixtures.js"
import { profileKey } from "@guildpulse/core/testing"

/** Waits until the profile's stored snapshot satisfies `done`: a background round has landed. */
const roundStored = async (h: Harness, profile: string, done: (snapshot: Snapshot) => boolean): Promise<void> => {
  const read = Effect.flatMap(SnapshotStore.SnapshotStore, (store) => store.get(profileKey(profile)))
  for (;;) {
    const stored = await h.runtime.runPromise(read)
    if (stored._tag === "Some" && done(stored.value)) return
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const expectProblem = (res: request.Response, status: number, code?: string) => {
  expect(res.status).toBe(status)
  expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/)
  expect(res.body.status).toBe(status)
  expect(res.body.type).toMatch(/^urn:guildpulse:problem:/)
  expect(typeof res.body.title).toBe("string")
  expect(typeof res.body.detail).toBe("string")
  if (code !== undefined) expect(res.body.code).toBe(code)
}

describe("GET /v1/profiles/:profile/stats", () => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness({ publicRateLimit: false })
  })
  afterAll(() => h.close())

  it("serves the view with a strong ETag and a Cache-Control until expiry", async () => {
    const res = await request(h.app).get("/v1/profiles/main/stats")
    expect(res.status).toBe(200)
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8")
    expect(res.body.profile).toBe("main")
    expect(res.body.counts).toEqual({ online: 1234, members: 56789, boosts: 14, boostTier: 3 })
    expect(res.body.freshness.state).toBe("fresh")
    expect(res.headers["etag"]).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
    // ttl 60 s, age 0 (the TestClock stands still) → max-age 60; stale-while-revalidate follows the ttl.
    expect(res.headers["cache-control"]).toBe("public, max-age=60, stale-while-revalidate=60")
    expect(res.headers["x-content-type-options"]).toBe("nosniff")
  })

  it("answers 304 to a matching If-None-Match, and 200 with the same ETag otherwise", async () => {
    const first = await request(h.app).get("/v1/profiles/main/stats")
    const etag = first.headers["etag"] as string
    // Same instant (the TestClock stands still): same body, so the tag matches.
    const again = await request(h.app).get("/v1/profiles/main/stats").set("If-None-Match", etag)
    expect(again.status).toBe(304)
    expect(again.text).toBe("")
    expect(again.headers["etag"]).toBe(etag)
    expect(again.headers["cache-control"]).toBe("public, max-age=60, stale-while-revalidate=60")
    const list = await request(h.app).get("/v1/profiles/main/stats").set("If-None-Match", `W/"other", ${etag}`)
    expect(list.status).toBe(304)
    const miss = await request(h.app).get("/v1/profiles/main/stats").set("If-None-Match", '"nope"')
    expect(miss.status).toBe(200)
    expect(miss.headers["etag"]).toBe(etag)
  })

  it("a second later the age differs: a new body and a new tag, so the old tag no longer matches", async () => {
    const first = await request(h.app).get("/v1/profiles/main/stats")
    await h.clock.advance(1000)
    const later = await request(h.app).get("/v1/profiles/main/stats").set("If-None-Match", first.headers["etag"] as string)
    expect(later.status).toBe(200)
    expect(later.headers["etag"]).not.toBe(first.headers["etag"])
    expect(later.body.freshness.ageSeconds).toBe(first.body.freshness.ageSeconds + 1)
  })

  it("ETag is a hash of the body", async () => {
    const a = await request(h.app).get("/v1/profiles/main/stats")
    const { createHash } = await import("node:crypto")
    const expected = `"${createHash("sha256").update(a.text).digest("base64url").slice(0, 27)}"`
    expect(a.headers["etag"]).toBe(expected)
  })

  it("400 names `profile` for an invalid key", async () => {
    const res = await request(h.app).get("/v1/profiles/Not%20Valid!/stats")
    expectProblem(res, 400, "validation_failed")
    expect(res.body.errors).toEqual([{ field: "profile", message: expect.any(String) }])
  })

  it("404 problem for an unknown profile", async () => {
    expectProblem(await request(h.app).get("/v1/profiles/nobody/stats"), 404, "profile_not_found")
  })

  it("hides a non-public profile from anonymous callers (404) and shows it to an admin, privately", async () => {
    const anonymous = await request(h.app).get("/v1/profiles/secret/stats")
    expectProblem(anonymous, 404, "profile_not_found")
    const unknown = await request(h.app).get("/v1/profiles/nobody/stats")
    expect(anonymous.body.detail.replace("secret", "X")).toBe(unknown.body.detail.replace("nobody", "X"))
    const admin = await request(h.app).get("/v1/profiles/secret/stats").set(auth)
    expect(admin.status).toBe(200)
    expect(admin.headers["cache-control"]).toBe("private, no-store")
  })

  it("ignores fresh=1 from anonymous callers (no upstream call), bypasses the cache for an admin", async () => {
    await request(h.app).get("/v1/profiles/main/stats")
    const before = h.source.calls()
    const anonymous = await request(h.app).get("/v1/profiles/main/stats?fresh=1")
    expect(anonymous.status).toBe(200)
    expect(h.source.calls()).toBe(before)
    const admin = await request(h.app).get("/v1/profiles/main/stats?fresh=1").set(auth)
    expect(admin.status).toBe(200)
    expect(h.source.calls()).toBe(before + 2) // one round: widget and bot (main has the invite source off)
    expect(admin.headers["cache-control"]).toBe("private, no-store")
  })

  it("400 names `fresh` for a bad flag", async () => {
    const res = await request(h.app).get("/v1/profiles/main/stats?fresh=maybe")
    expectProblem(res, 400)
    expect(res.body.errors[0].field).toBe("fresh")
  })

  it("401 with WWW-Authenticate for a bad credential, even on a public route", async () => {
    const res = await request(h.app).get("/v1/profiles/main/stats").set("Authorization", "Bearer wrong-key")
    expectProblem(res, 401, "unauthorized")
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="guildpulse", error="invalid_token"/)
  })

  it("HEAD answers the headers without a body", async () => {
    const res = await request(h.app).head("/v1/profiles/main/stats")
    expect(res.status).toBe(200)
    expect(res.headers["etag"]).toBeDefined()
    expect(res.text ?? "").toBe("")
  })

  it("405 with Allow for another method; 404 problem for an unknown API route", async () => {
    const res = await request(h.app).post("/v1/profiles/main/stats")
    expectProblem(res, 405, "method_not_allowed")
    expect(res.headers["allow"]).toBe("GET, HEAD, OPTIONS")
    expectProblem(await request(h.app).get("/v1/nothing/here"), 404, "not_found")
    expectProblem(await request(h.app).get("/elsewhere"), 404, "not_found")
  })
})

describe("upstream trouble is a state of the view, never an error", () => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness({ publicRateLimit: false })
  })
  afterAll(() => h.close())

  it("degraded (200) after a good snapshot when refreshes fail, with reasons and a short max-age", async () => {
    expect((await request(h.app).get("/v1/profiles/main/stats")).body.freshness.state).toBe("fresh")
    h.source.set({ _tag: "failing", reason: "rate_limited", retryAfterMs: 30_000, status: 429 })
    await h.clock.advance(90_000)
    // Past ttl: served stale (from the snapshot read before the round starts) while one background round revalidates…
    const stale = await request(h.app).get("/v1/profiles/main/stats")
    expect(stale.status).toBe(200)
    expect(stale.body.freshness.state).toBe("stale")
    expect(stale.headers["cache-control"]).toBe("public, max-age=0, stale-while-revalidate=30")
    await roundStored(h, "main", (snapshot) => snapshot.consecutiveFailures === 1)
    // …which failed: the last good numbers, labelled degraded.
    const degraded = await request(h.app).get("/v1/profiles/main/stats")
    expect(degraded.status).toBe(200)
    expect(degraded.body.freshness.state).toBe("degraded")
    expect(degraded.body.freshness.reasons).toContain("rate_limited")
    expect(degraded.body.counts.online).toBe(1234)
    expect(degraded.headers["cache-control"]).toBe("public, max-age=10, stale-while-revalidate=30")
    h.source.set({ _tag: "healthy" })
  })

  it("unavailable (200) for a cold profile without demo fallback, saying when it retries", async () => {
    h.source.set({ _tag: "failing", reason: "server_error", status: 502 })
    const res = await request(h.app).get("/v1/profiles/cold/stats")
    expect(res.status).toBe(200)
    expect(res.body.freshness.state).toBe("unavailable")
    expect(res.body.freshness.reasons).toContain("upstream_error")
    expect(res.body.counts).toEqual({})
    expect(res.headers["cache-control"]).toMatch(/^public, max-age=[0-5]$/)
    h.source.set({ _tag: "healthy" })
  })

  it("unavailable (200), never demo numbers, for a profile whose every source is misconfigured, even when it allows demo data", async () => {
    const own = await makeHarness()
    try {
      own.source.set({ _tag: "failing", reason: "unauthorized", status: 401 })
      const res = await request(own.app).get("/v1/profiles/demo/stats")
      expect(res.status).toBe(200)
      expect(res.body.freshness.state).toBe("unavailable")
      expect(res.body.freshness.reasons).toEqual(["unauthorized"])
      expect(res.body.counts).toEqual({})
    } finally {
      await own.close()
    }
  })

  it("demo (200) for a cold profile that allows demo data", async () => {
    h.source.set({ _tag: "failing", reason: "server_error", status: 503 })
    const res = await request(h.app).get("/v1/profiles/demo/stats")
    expect(res.status).toBe(200)
    expect(res.body.freshness.state).toBe("demo")
    expect(res.body.provenance.online.source).toBe("demo")
    expect(res.headers["cache-control"]).toBe("public, max-age=10, stale-while-revalidate=30")
    h.source.set({ _tag: "healthy" })
  })

  it("timeouts and transport errors are 200 too", async () => {
    for (const reason of ["timeout", "transport", "decode", "widget_disabled"] as const) {
      h.source.set({ _tag: "failing", reason })
      const res = await request(h.app).get("/v1/profiles/cold/stats")
      expect(res.status).toBe(200)
    }
    h.source.set({ _tag: "healthy" })
  })
})

describe("public rate limit", () => {
  it("serves cached answers over the limit, refuses only answers that need Discord (429 + Retry-After)", async () => {
    const h = await makeHarness({ publicRateLimit: { perMinute: 6, burst: 2 } })
    try {
      // Warm `main` (one token), then exhaust the budget on cached answers: they are never refused.
      expect((await request(h.app).get("/v1/profiles/main/stats")).status).toBe(200)
      for (let i = 0; i < 6; i++) {
        const res = await request(h.app).get("/v1/profiles/main/stats")
        expect(res.status).toBe(200)
        expect(res.body.freshness.state).toBe("fresh")
      }
      // The widget and badge of a cached profile are served as well.
      expect((await request(h.app).get("/v1/profiles/main/widget")).status).toBe(200)
      expect((await request(h.app).get("/v1/profiles/main/badge.svg")).status).toBe(200)
      // A cold profile would cost an upstream call: refused.
      const calls = h.source.calls()
      const cold = await request(h.app).get("/v1/profiles/cold/stats")
      expectProblem(cold, 429, "rate_limited")
      // The TestClock stands still and the bucket is empty: the next token is one refill (60 s / 6) away.
      expect(cold.headers["retry-after"]).toBe("10")
      expect(h.source.calls()).toBe(calls)
      // Unknown profiles cost nothing upstream: still a plain 404.
      expectProblem(await request(h.app).get("/v1/profiles/nobody/stats"), 404)
      // Authenticated callers are not subject to the public budget.
      expect((await request(h.app).get("/v1/profiles/cold/stats").set(auth)).status).toBe(200)
    } finally {
      await h.close()
    }
  })
})

describe("sub-second memo of fresh answers", () => {
  it("serves an authenticated request for a public profile from the memo too, with a private Cache-Control", async () => {
    const h = await makeHarness()
    try {
      const first = await request(h.app).get("/v1/profiles/main/stats")
      expect(first.status).toBe(200)
      expect(first.headers["cache-control"]).toMatch(/^public/)
      // Deleted behind the router's back (as another process would): the memo cannot know, the engine would.
      await h.runtime.runPromise(Effect.flatMap(ProfileRepository.ProfileRepository, (repo) => repo.delete(profileKey("main"))))
      const authed = await request(h.app).get("/v1/profiles/main/stats").set(auth)
      expect(authed.status).toBe(200)
      expect(authed.text).toBe(first.text)
      expect(authed.headers["cache-control"]).toBe("private, no-store")
      // Once the clock ticks, the memo is gone and the engine answers (for both).
      await h.clock.advance(1000)
      expect((await request(h.app).get("/v1/profiles/main/stats").set(auth)).status).toBe(404)
    } finally {
      await h.close()
    }
  })
})

describe("store failures", () => {
  it("503 problem with Retry-After when a store is down", async () => {
    const down = { value: false }
    const source = makeSource()
    const stores = Engine.storesMemory({ profiles: defaultProfiles() })
    const flaky = Layer.effect(
      ProfileRepository.ProfileRepository,
      Effect.map(ProfileRepository.makeMemory(defaultProfiles()), (repo) => ({
        ...repo,
        get: (key: ProfileKey) =>
          down.value ? Effect.fail(new StoreError({ reason: "unavailable", store: "profiles", message: "connection refused" })) : repo.get(key)
      }))
    )
    const layer = Engine.services({ scheduler: false, refresher: testRetry }).pipe(
      Layer.provideMerge(Layer.merge(stores, flaky)),
      Layer.provide(source.layer)
    )
    const runtime = ManagedRuntime.make(layer)
    const app = express().use(guildPulse({ runtime, publicRateLimit: false }))
    try {
      expect((await request(app).get("/v1/profiles/main/stats")).status).toBe(200)
      down.value = true
      // (`main` may still be answered from the sub-second memo of its fresh answer; `demo` has none.)
      const res = await request(app).get("/v1/profiles/demo/stats")
      expectProblem(res, 503, "unavailable")
      expect(res.headers["retry-after"]).toBe("5")
      expect(JSON.stringify(res.body)).not.toContain("connection refused")
    } finally {
      await runtime.dispose()
    }
  })
})

describe("mounting", () => {
  it("works under /discord in a host app, and leaves the host's other routes alone", async () => {
    const h = await makeHarness()
    try {
      const app = express()
      app.use("/discord", guildPulse({ runtime: h.runtime }))
      app.get("/other", (_req, res) => void res.send("host route"))
      const stats = await request(app).get("/discord/v1/profiles/main/stats")
      expect(stats.status).toBe(200)
      expect(stats.body.profile).toBe("main")
      expect((await request(app).get("/other")).text).toBe("host route")
      expectProblem(await request(app).get("/discord/v1/nope"), 404)
      const page = await request(app).get("/discord/v1/profiles/main/widget?standalone=1")
      expect(page.text).toMatch(/<script src="\/discord\/embed\.js\?v=[A-Za-z0-9_-]+" defer><\/script>/)
      const openapi = await request(app).get("/discord/openapi.json")
      expect(openapi.body.servers).toEqual([{ url: "/discord" }])
      expect(openapi.text).not.toContain(ADMIN_KEY)
    } finally {
      await h.close()
    }
  })
})
