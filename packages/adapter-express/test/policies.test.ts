import { describe, expect, it } from "vitest"
import { Authenticator, Problem, RateLimiter } from "../src/index.js"
import { Effect, Exit, Redacted } from "effect"

describe("RateLimiter (token bucket)", () => {
  it("allows a burst, then says how long until the next token; refills over time", () => {
    const limiter = RateLimiter.make({ perMinute: 60, burst: 3 })
    const t0 = 1_000_000
    expect([limiter.take("a", t0), limiter.take("a", t0), limiter.take("a", t0)]).toEqual([0, 0, 0])
    expect(limiter.take("a", t0)).toBe(1000)
    expect(limiter.take("b", t0)).toBe(0)
    expect(limiter.take("a", t0 + 500)).toBe(500)
    expect(limiter.take("a", t0 + 1000)).toBe(0)
  })

  it("forgets clients whose bucket has refilled", () => {
    const limiter = RateLimiter.make({ perMinute: 60, burst: 1 })
    for (let i = 0; i < 100; i++) limiter.take(`client-${i}`, 0)
    expect(limiter.size()).toBe(100)
    limiter.take("late", 120_000)
    expect(limiter.size()).toBe(1)
  })

  it("refuses nonsensical settings", () => {
    expect(() => RateLimiter.make({ perMinute: 0, burst: 1 })).toThrow(RangeError)
  })
})

describe("Authenticator", () => {
  it("parses bearer credentials strictly", () => {
    expect(Authenticator.parseBearer(undefined)).toBeUndefined()
    expect(Authenticator.parseBearer("Basic abc")).toBeNull()
    expect(Authenticator.parseBearer("Bearer ")).toBeNull()
    expect(Authenticator.parseBearer("Bearer a b")).toBeNull()
    expect(Authenticator.parseBearer(`Bearer ${"x".repeat(600)}`)).toBeNull()
    const parsed = Authenticator.parseBearer("bearer gp_abc_SECRET")
    expect(parsed !== null && parsed !== undefined && Redacted.value(parsed)).toBe("gp_abc_SECRET")
    expect(String(parsed)).not.toContain("SECRET")
  })

  it("bootstrap key: all scopes for the right key, Unauthorized otherwise; anyOf tries in order", () => {
    const admin = Authenticator.bootstrap(Redacted.make("the-admin-key-0123456789"))
    const ok = Effect.runSyncExit(admin.authenticate(Redacted.make("the-admin-key-0123456789")))
    expect(Exit.isSuccess(ok) && Authenticator.hasScope(ok.value, "keys:admin")).toBe(true)
    expect(Exit.isSuccess(ok) && Authenticator.hasScope(ok.value, "some:future-scope")).toBe(true)
    const bad = Effect.runSyncExit(admin.authenticate(Redacted.make("the-admin-key-012345678")))
    expect(Exit.isFailure(bad)).toBe(true)
    const reader = Authenticator.fromTable([
      { key: Redacted.make("reader"), principal: { subject: "reader", scopes: new Set(["profiles:read"]), profiles: new Set(["main"]) } }
    ])
    const both = Authenticator.anyOf(admin, reader)
    const r = Effect.runSyncExit(both.authenticate(Redacted.make("reader")))
    expect(Exit.isSuccess(r) && r.value.subject).toBe("reader")
    expect(Exit.isSuccess(r) && Authenticator.canAccessProfile(r.value, "other")).toBe(false)
    expect(() => Authenticator.bootstrap(Redacted.make(""))).toThrow(RangeError)
  })
})

describe("Problem", () => {
  it("folds the noise of `errors: all` into one message per field", () => {
    const issues = Problem.normalizeIssues([
      { field: "refresh.ttlSeconds", message: "must be an integer between 30 and 3600" },
      { field: "refresh.ttlSeconds", message: "Expected undefined, actual 5" },
      { field: "refresh", message: 'Expected undefined, actual {"ttlSeconds":5}' },
      { field: "level", message: 'Expected "debug", actual "loud"' },
      { field: "level", message: 'Expected "info", actual "loud"' }
    ])
    expect(issues).toEqual([
      { field: "refresh.ttlSeconds", message: "must be an integer between 30 and 3600" },
      { field: "level", message: 'Expected one of "debug" | "info", actual "loud"' }
    ])
  })
})
