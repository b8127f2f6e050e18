/**
 * The operator console over HTTP (no browser): sign-in with a key kept server-side, the session cookie's
 * attributes, CSRF on every form (sign-in included), session fixation, idle expiry on the engine's clock,
 * sign-out, a revoked key ending its session, a key limited to one profile seeing only that profile, and the
 * API's validation messages shown at the form's fields.
 */
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import type { ObservabilityHttp } from "@guildpulse/observability"
import { Effect } from "effect"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ApiKeyAuth } from "../src/index.js"
import { ADMIN_KEY, auth, makeHarness, type Harness } from "./fixtures.js"

let h: Harness

const cookieOf = (res: request.Response, name: string): string | undefined => {
  const headers = ([] as Array<string>).concat(res.headers["set-cookie"] ?? [])
  const line = headers.find((c) => c.startsWith(`${name}=`))
  return line === undefined ? undefined : line.slice(name.length + 1).split(";")[0]
}
const setCookieLine = (res: request.Response, name: string) => ([] as Array<string>).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith(`${name}=`))
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1]

/** Signs in through the form; returns the session cookie. */
const signIn = async (key: string, extraCookie = "") => {
  const form = await request(h.app).get("/console/login")
  expect(form.status).toBe(200)
  const pre = cookieOf(form, "gp_console_login")!
  const res = await request(h.app)
    .post("/console/login")
    .set("Cookie", `gp_console_login=${pre}${extraCookie}`)
    .type("form")
    .send({ csrf: csrfOf(form.text), key })
  return res
}
const session = async (key = ADMIN_KEY) => {
  const res = await signIn(key)
  expect(res.status).toBe(303)
  return `gp_console=${cookieOf(res, "gp_console")}`
}

beforeAll(async () => {
  h = await makeHarness({ governance: ApiKeyAuth.governanceMemory({ scrypt: { cost: 2 ** 10 } }), console: { idleTimeoutMs: 30 * 60_000 }, trustProxy: true })
})
afterAll(() => h.close())

describe("console sign-in and session", () => {
  it("is off unless enabled", async () => {
    const off = await makeHarness({})
    expect((await request(off.app).get("/console/login")).status).toBe(404)
    await off.close()
  })

  it("a page without a session redirects to the sign-in form, which carries a CSRF token and sets no session", async () => {
    const res = await request(h.app).get("/console/keys")
    expect(res.status).toBe(303)
    expect(res.headers["location"]).toBe("/console/login?next=%2Fconsole%2Fkeys")
    const form = await request(h.app).get("/console/login")
    expect(form.headers["content-security-policy"]).toContain("script-src 'self'")
    expect(form.headers["content-security-policy"]).toContain("frame-ancestors 'none'")
    expect(csrfOf(form.text)).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(setCookieLine(form, "gp_console_login")).toMatch(/HttpOnly; SameSite=Strict$/)
    expect(cookieOf(form, "gp_console")).toBeUndefined()
  })

  it("signs in with a key: a fresh HttpOnly SameSite=Strict cookie that does not carry the key; sign-out ends it", async () => {
    const res = await signIn(ADMIN_KEY)
    expect(res.status).toBe(303)
    expect(res.headers["location"]).toBe("/console/")
    const line = setCookieLine(res, "gp_console")!
    expect(line).toMatch(/^gp_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict$/)
    expect(line).not.toContain(ADMIN_KEY)
    const cookie = `gp_console=${cookieOf(res, "gp_console")}`
    const dashboard = await request(h.app).get("/console/").set("Cookie", cookie)
    expect(dashboard.status).toBe(200)
    expect(dashboard.text).toContain('data-profile="main"')
    expect(dashboard.text).not.toContain(ADMIN_KEY)
    const out = await request(h.app).post("/console/logout").set("Cookie", cookie).type("form").send({ csrf: csrfOf(dashboard.text) })
    expect(out.status).toBe(303)
    expect(setCookieLine(out, "gp_console")).toContain("Max-Age=0")
    expect((await request(h.app).get("/console/").set("Cookie", cookie)).status).toBe(303)
  })

  it("the cookie is Secure behind TLS (X-Forwarded-Proto with trust proxy)", async () => {
    const form = await request(h.app).get("/console/login").set("X-Forwarded-Proto", "https")
    const pre = cookieOf(form, "gp_console_login")!
    const res = await request(h.app).post("/console/login").set("X-Forwarded-Proto", "https").set("Cookie", `gp_console_login=${pre}`).type("form").send({ csrf: csrfOf(form.text), key: ADMIN_KEY })
    expect(setCookieLine(res, "gp_console")).toMatch(/; Secure$/)
  })

  it("a wrong key is refused at the field (401), and nothing is signed in", async () => {
    const res = await signIn("not-a-key-0123456789")
    expect(res.status).toBe(401)
    expect(res.text).toMatch(/<input type="password" id="f-key" name="key"[^>]*aria-invalid="true"/)
    expect(res.text).toContain("This key is not recognised")
    expect(cookieOf(res, "gp_console")).toBeUndefined()
  })

  it("sign-in without the form's CSRF token (login CSRF) is refused", async () => {
    const form = await request(h.app).get("/console/login")
    const pre = cookieOf(form, "gp_console_login")!
    const forged = await request(h.app).post("/console/login").set("Cookie", `gp_console_login=${pre}`).type("form").send({ key: ADMIN_KEY })
    expect(forged.status).toBe(403)
    expect(cookieOf(forged, "gp_console")).toBeUndefined()
    // A token of another browser's pre-session cookie does not fit this one.
    const other = await request(h.app).get("/console/login")
    const mixed = await request(h.app).post("/console/login").set("Cookie", `gp_console_login=${pre}`).type("form").send({ key: ADMIN_KEY, csrf: csrfOf(other.text) })
    expect(mixed.status).toBe(403)
  })

  it("session fixation: a session id planted before sign-in is never adopted", async () => {
    const planted = "A".repeat(43)
    const res = await signIn(ADMIN_KEY, `; gp_console=${planted}`)
    expect(res.status).toBe(303)
    const issued = cookieOf(res, "gp_console")!
    expect(issued).not.toBe(planted)
    expect((await request(h.app).get("/console/").set("Cookie", `gp_console=${planted}`)).status).toBe(303)
    // A session stolen before a new sign-in is ended by that sign-in.
    const again = await signIn(ADMIN_KEY, `; gp_console=${issued}`)
    expect(cookieOf(again, "gp_console")).not.toBe(issued)
    expect((await request(h.app).get("/console/").set("Cookie", `gp_console=${issued}`)).status).toBe(303)
  })

  it("every form needs the session's CSRF token: a forged change is refused and changes nothing", async () => {
    const cookie = await session()
    const forged = await request(h.app).post("/console/profiles/new").set("Cookie", cookie).type("form").send({ key: "forged", label: "Forged", guildId: "523456789012345678" })
    expect(forged.status).toBe(403)
    expect(forged.text).toContain("CSRF")
    const wrong = await request(h.app).post("/console/profiles/new").set("Cookie", cookie).type("form").send({ csrf: "x".repeat(43), key: "forged", label: "Forged", guildId: "523456789012345678" })
    expect(wrong.status).toBe(403)
    expect((await request(h.app).get("/v1/profiles/forged").set(auth)).status).toBe(404)
  })

  it("idle expiry follows the engine's clock: activity keeps the session, 30 idle minutes end it", async () => {
    const cookie = await session()
    await h.clock.advance(29 * 60_000)
    expect((await request(h.app).get("/console/").set("Cookie", cookie)).status).toBe(200)
    await h.clock.advance(29 * 60_000)
    expect((await request(h.app).get("/console/").set("Cookie", cookie)).status).toBe(200)
    await h.clock.advance(30 * 60_000 + 1)
    const expired = await request(h.app).get("/console/").set("Cookie", cookie)
    expect(expired.status).toBe(303)
    expect(expired.headers["location"]).toBe("/console/login?next=%2Fconsole%2F")
  })
})

describe("console pages and scopes", () => {
  it("creates a profile through the form; the API's validation message is shown at the field", async () => {
    const cookie = await session()
    const form = await request(h.app).get("/console/profiles/new").set("Cookie", cookie)
    const csrf = csrfOf(form.text)
    const bad = await request(h.app).post("/console/profiles/new").set("Cookie", cookie).type("form").send({ csrf, key: "fresh", label: "Fresh", guildId: "12ab", "sources.widget": "on", "refresh.ttlSeconds": "300", "refresh.maxStaleSeconds": "604800", "fallback.demo": "never" })
    expect(bad.status).toBe(400)
    expect(bad.text).toMatch(/id="f-guildId" name="guildId" value="12ab"[^>]*aria-invalid="true" aria-describedby="f-guildId-hint f-guildId-error"/)
    expect(bad.text).toMatch(/<span class="error" id="f-guildId-error">[^<]*digits/)
    const ttl = await request(h.app).post("/console/profiles/new").set("Cookie", cookie).type("form").send({ csrf, key: "fresh", label: "Fresh", guildId: "523456789012345678", "sources.widget": "on", "refresh.ttlSeconds": "5", "refresh.maxStaleSeconds": "604800", "fallback.demo": "never" })
    expect(ttl.status).toBe(400)
    expect(ttl.text).toMatch(/<span class="error" id="f-refresh-ttlSeconds-error">must be an integer between 30 and 3600<\/span>/)
    const ok = await request(h.app).post("/console/profiles/new").set("Cookie", cookie).type("form").send({ csrf, key: "fresh", label: "Fresh <i>one</i>", guildId: "523456789012345678", "sources.widget": "on", "refresh.ttlSeconds": "120", "refresh.maxStaleSeconds": "604800", "fallback.demo": "never", public: "on" })
    expect(ok.status).toBe(303)
    expect(ok.headers["location"]).toBe("/console/profiles/fresh?done=created")
    const stored = await request(h.app).get("/v1/profiles/fresh").set(auth)
    expect(stored.body).toMatchObject({ label: "Fresh <i>one</i>", sources: { widget: true, bot: false, invite: false }, refresh: { ttlSeconds: 120 } })
    const page = await request(h.app).get("/console/profiles/fresh").set("Cookie", cookie)
    expect(page.status).toBe(200)
    expect(page.text).toContain("Fresh &lt;i&gt;one&lt;/i&gt;")
    expect(page.text).not.toContain("<i>one</i>")
    const audit = await request(h.app).get("/v1/audit?profile=fresh").set(auth)
    expect(audit.body.entries.map((e: { action: string; keyId: string }) => `${e.action} by ${e.keyId}`)).toEqual(["profile.create by bootstrap-admin"])
  })

  it("creates a key (secret shown once) and revokes it; a revoked key's session ends", async () => {
    const cookie = await session()
    const page = await request(h.app).get("/console/keys").set("Cookie", cookie)
    const csrf = csrfOf(page.text)
    const created = await request(h.app).post("/console/keys").set("Cookie", cookie).type("form").send({ csrf, name: "ops", scopes: ["profiles:read", "keys:admin"] })
    expect(created.status).toBe(303)
    const shown = await request(h.app).get("/console/keys").set("Cookie", cookie)
    const secret = /<pre class="snippet" id="new-key-secret">(gp_[A-Za-z0-9]+_[A-Za-z0-9]+)<\/pre>/.exec(shown.text)?.[1]
    expect(secret).toBeDefined()
    const again = await request(h.app).get("/console/keys").set("Cookie", cookie)
    expect(again.text).not.toContain(secret!)
    const id = secret!.split("_")[1]!
    const keyCookie = await session(secret!)
    expect((await request(h.app).get("/console/").set("Cookie", keyCookie)).status).toBe(200)
    const revoked = await request(h.app).post(`/console/keys/${id}/revoke`).set("Cookie", cookie).type("form").send({ csrf })
    expect(revoked.status).toBe(303)
    expect((await request(h.app).get("/console/keys").set("Cookie", cookie)).text).toMatch(new RegExp(`data-key="${id}">.*revoked`))
    const ended = await request(h.app).get("/console/").set("Cookie", keyCookie)
    expect(ended.status).toBe(303)
    expect(ended.headers["location"]).toBe("/console/login?ended=key")
  })

  it("a key limited to one profile sees only that profile, and is not offered what it may not do", async () => {
    const issued = await request(h.app).post("/v1/keys").set(auth).send({ name: "main only", scopes: ["profiles:read", "events:read"], profiles: ["main"] })
    expect(issued.status).toBe(201)
    const cookie = await session(issued.body.secret)
    const dashboard = await request(h.app).get("/console/").set("Cookie", cookie)
    expect(dashboard.status).toBe(200)
    expect(dashboard.text).toContain('data-profile="main"')
    for (const other of ["cold", "demo", "secret", "Hidden", "Cold"]) expect(dashboard.text).not.toContain(other)
    expect(dashboard.text).not.toContain("/console/keys")
    expect(dashboard.text).not.toContain("/console/profiles/new")
    expect(dashboard.text).not.toContain("/console/audit")
    expect((await request(h.app).get("/console/profiles/cold").set("Cookie", cookie)).status).toBe(404)
    const main = await request(h.app).get("/console/profiles/main").set("Cookie", cookie)
    expect(main.status).toBe(200)
    expect(main.text).not.toContain("/edit")
    expect(main.text).not.toContain("Delete profile")
    expect(main.text).not.toContain('name="token"')
    expect((await request(h.app).get("/console/keys").set("Cookie", cookie)).status).toBe(403)
    const csrf = csrfOf(main.text)
    expect((await request(h.app).post("/console/profiles/main/delete").set("Cookie", cookie).type("form").send({ csrf })).status).toBe(403)
    expect((await request(h.app).get("/v1/profiles/main").set(auth)).status).toBe(200)
  })
})

describe("console live streams", () => {
  const calls: Array<unknown> = []
  const report = (profiles: ReadonlyArray<string>) => ({
    status: "ok",
    ready: true,
    checkedAt: "2026-06-01T12:00:00.000Z",
    checks: {},
    scheduler: { running: true, queueDepth: 0, deadLetters: [] },
    invalidRequests: { count: 0, windowSeconds: 600, guardLimit: 1000 },
    profiles: profiles.map((profile) => ({
      profile,
      label: profile,
      status: "ok",
      reasons: [],
      freshness: { state: "fresh", ageSeconds: 1, fetchedAt: null, nextRefreshAt: null, reasons: [] },
      lastSuccessAt: null,
      lastError: null,
      sources: [],
      fallbackRatio: null,
      served: { total: 0, fallback: 0, ratio: null, byState: {} },
      rateLimit: { headroom: null, buckets: [] },
      job: { scheduled: false, nextRunAt: null, lastRunAt: null, consecutiveFailures: 0, deadLettered: false },
      token: { status: "valid", present: true, expiresAt: null, daysUntilExpiry: null }
    }))
  })
  const observability = {
    health: (access: { profiles: "*" | ReadonlySet<string> }) =>
      Effect.sync(() => {
        calls.push(access.profiles === "*" ? "*" : [...access.profiles])
        const all = ["main", "cold", "demo", "secret"]
        return { status: 200, headers: {}, body: JSON.stringify(report(access.profiles === "*" ? all : all.filter((p) => (access.profiles as ReadonlySet<string>).has(p)))) }
      })
  } as unknown as ObservabilityHttp.ObservabilityHttp["Type"]

  let live: Harness
  let base: string
  let server: Server
  beforeAll(async () => {
    live = await makeHarness({ governance: ApiKeyAuth.governanceMemory({ scrypt: { cost: 2 ** 10 } }), console: { observability, liveIntervalMs: 60_000 } })
    server = live.app.listen(0, "127.0.0.1")
    await new Promise((r) => server.once("listening", r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    await live.close()
  })

  const signInAt = async (key: string) => {
    const form = await fetch(`${base}/console/login`)
    const pre = /gp_console_login=([^;]+)/.exec(form.headers.get("set-cookie") ?? "")![1]!
    const res = await fetch(`${base}/console/login`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: `gp_console_login=${pre}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: csrfOf(await form.text())!, key }).toString()
    })
    return `gp_console=${/gp_console=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")![1]!}`
  }

  /** The first `replace` event of a live stream. */
  const firstUpdate = async (cookie: string): Promise<Record<string, string>> => {
    const controller = new AbortController()
    const res = await fetch(`${base}/console/live`, { headers: { cookie }, signal: controller.signal })
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8")
    const reader = res.body!.getReader()
    let text = ""
    for (;;) {
      const { value, done } = await reader.read()
      if (done) throw new Error(`stream ended: ${text}`)
      text += Buffer.from(value).toString("utf8")
      const match = /event: replace\ndata: (.*)\n\n/.exec(text)
      if (match !== null) {
        controller.abort()
        return JSON.parse(match[1]!) as Record<string, string>
      }
    }
  }

  it("streams the rows a key may see; streams of the same access share one health computation", async () => {
    const admin = await signInAt(ADMIN_KEY)
    const other = await signInAt(ADMIN_KEY)
    calls.length = 0
    const [a, b] = await Promise.all([firstUpdate(admin), firstUpdate(other)])
    expect(calls).toEqual(["*"])
    expect(a["health-rows"]).toBe(b["health-rows"])
    expect(a["health-rows"]).toContain('data-profile="cold"')
    const issued = await request(live.app).post("/v1/keys").set(auth).send({ name: "main only", scopes: ["health:read"], profiles: ["main"] })
    const limited = await signInAt(issued.body.secret)
    const rows = (await firstUpdate(limited))["health-rows"]!
    expect(calls).toEqual(["*", ["main"]])
    expect(rows).toContain('data-profile="main"')
    for (const other of ["cold", "demo", "secret"]) expect(rows).not.toContain(other)
  })

  it("a stream is refused to a key without health:read, and to no session", async () => {
    const issued = await request(live.app).post("/v1/keys").set(auth).send({ name: "profiles only", scopes: ["profiles:read"] })
    const cookie = await signInAt(issued.body.secret)
    expect((await fetch(`${base}/console/live`, { headers: { cookie } })).status).toBe(403)
    expect((await fetch(`${base}/console/live`, { redirect: "manual" })).status).toBe(303)
  })
})
