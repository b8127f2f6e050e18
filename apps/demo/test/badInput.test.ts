/**
 * Bad input against the demo's own pages, one case per finding of the bad-input sweep
 * (scripts/bad-input-sweep.ts): non-public profiles shown to anyone, stack traces with paths, anonymous
 * cross-site posts to the sandbox controls, no CSP or frame-ancestors.
 */
import { LARGE_GUILD_ID } from "@guildpulse/connector-discord/sandbox"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Demo from "../src/Demo.js"
import { formToken } from "./forms.js"

let demo: Demo.RunningDemo
const HIDDEN_LABEL = "Backroom Guild Secret Label"

beforeAll(async () => {
  demo = await Demo.start({ port: 0, scheduler: false, telemetryFromEnv: false })
  const created = await fetch(`${demo.url}/v1/profiles/backroom`, {
    method: "PUT",
    headers: { authorization: `Bearer ${demo.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ key: "backroom", label: HIDDEN_LABEL, guildId: LARGE_GUILD_ID, public: false })
  })
  if (created.status !== 201) throw new Error(`could not create the non-public profile: ${created.status}`)
})
afterAll(async () => {
  await demo?.close()
})

const form = "application/x-www-form-urlencoded"
const post = (path: string, headers: Record<string, string>, body = "") =>
  fetch(`${demo.url}${path}`, { method: "POST", headers: { "content-type": form, ...headers }, body, redirect: "manual" })

describe("bad input: non-public profiles on the demo pages", () => {
  it("the start page does not show a public: false profile's label", async () => {
    expect(await (await fetch(`${demo.url}/`)).text()).not.toContain(HIDDEN_LABEL)
  })

  it("the start page does not offer a public: false profile in the sandbox controls", async () => {
    expect(await (await fetch(`${demo.url}/`)).text()).not.toContain('value="backroom"')
  })

  it("the theme gallery of a public: false profile is 404", async () => {
    expect((await fetch(`${demo.url}/demo/themes/backroom`)).status).toBe(404)
  })

  it("the theme gallery of a public profile is still 200", async () => {
    expect((await fetch(`${demo.url}/demo/themes/small`)).status).toBe(200)
  })

  it("a form post cannot aim a scenario at a public: false profile", async () => {
    const { cookie, token } = await formToken(demo)
    const res = await post("/demo/scenario", { origin: demo.url, "sec-fetch-site": "same-origin", cookie }, `mode=outage&profile=backroom&csrf=${token}`)
    expect(res.status).toBe(400)
  })
})

describe("bad input: errors of the demo pages", () => {
  const noPaths = (text: string) => {
    expect(text).not.toContain(process.cwd())
    expect(text).not.toMatch(/\bat .+\.(?:ts|js|mjs|cjs):\d+/)
  }

  it("a malformed percent-encoding in a theme path is a 400 problem", async () => {
    const res = await fetch(`${demo.url}/demo/themes/%E0%A4%A`)
    expect(res.status).toBe(400)
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/)
  })

  it("a malformed percent-encoding answer carries no stack trace or path", async () => {
    noPaths(await (await fetch(`${demo.url}/demo/themes/%E0%A4%A`)).text())
  })

  it("a form body over the limit is a 413 problem without a stack trace or path", async () => {
    const res = await post("/demo/scenario", { origin: demo.url, "sec-fetch-site": "same-origin" }, `mode=${"x".repeat(10_000)}`)
    expect(res.status).toBe(413)
    noPaths(await res.text())
  })

  it("a form body in an unknown charset is a 415 problem without a stack trace or path", async () => {
    const res = await post("/demo/scenario", { "content-type": `${form}; charset=klingon`, origin: demo.url }, "mode=outage")
    expect(res.status).toBe(415)
    noPaths(await res.text())
  })
})

describe("bad input: cross-site posts to the sandbox controls", () => {
  it("an anonymous post from another site to /demo/refresh is 403", async () => {
    const res = await post("/demo/refresh", { origin: "https://evil.example", "sec-fetch-site": "cross-site" })
    expect(res.status).toBe(403)
  })

  it("an anonymous post from another site to /demo/scenario is 403 and changes nothing", async () => {
    const res = await post("/demo/scenario", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }, "mode=outage&profile=*")
    expect(res.status).toBe(403)
    expect(demo.sandbox.scenarios()).toEqual([])
  })

  it("a post with a foreign Origin and no Sec-Fetch-Site is 403 naming Origin", async () => {
    const res = await post("/demo/scenario", { origin: "https://evil.example" }, "mode=outage&profile=*")
    expect((await res.json()).errors[0].field).toBe("Origin")
  })

  it("a post without Origin, Sec-Fetch-Site or admin key (not a browser form) is 403", async () => {
    expect((await post("/demo/refresh", {})).status).toBe(403)
  })

  it("a same-origin post without the CSRF token is 403 naming csrf", async () => {
    const res = await post("/demo/refresh", { origin: demo.url, "sec-fetch-site": "same-origin" })
    expect((await res.json()).errors[0].field).toBe("csrf")
  })

  it("a same-origin post with a token that does not match the cookie is 403", async () => {
    const { cookie } = await formToken(demo)
    const res = await post("/demo/refresh", { origin: demo.url, "sec-fetch-site": "same-origin", cookie }, `csrf=${"A".repeat(32)}`)
    expect(res.status).toBe(403)
  })

  it("a same-origin post with the page's token is accepted (303)", async () => {
    const { cookie, token } = await formToken(demo)
    const res = await post("/demo/refresh", { origin: demo.url, "sec-fetch-site": "same-origin", cookie }, `csrf=${token}`)
    expect(res.status).toBe(303)
  })

  it("a post with the admin key as bearer is accepted without a token (303)", async () => {
    const res = await post("/demo/refresh", { authorization: `Bearer ${demo.adminKey}` })
    expect(res.status).toBe(303)
  })

  it("a post with a wrong bearer key and no token is 403", async () => {
    expect((await post("/demo/refresh", { authorization: "Bearer not-the-admin-key" })).status).toBe(403)
  })

  it("the CSRF cookie is HttpOnly and SameSite=Strict", async () => {
    const cookie = (await fetch(`${demo.url}/`)).headers.getSetCookie().find((c) => c.startsWith("gp_demo_csrf="))
    expect(cookie).toMatch(/; HttpOnly; SameSite=Strict$/)
  })
})

describe("bad input: framing and injection of the demo pages", () => {
  it("the start page has a CSP with script-src 'self' and frame-ancestors 'none'", async () => {
    const csp = (await fetch(`${demo.url}/`)).headers.get("content-security-policy")
    expect(csp).toMatch(/(?:^|; )script-src 'self'(?:;|$).*frame-ancestors 'none'/)
  })

  it("the theme gallery has the same CSP", async () => {
    const csp = (await fetch(`${demo.url}/demo/themes/small`)).headers.get("content-security-policy")
    expect(csp).toContain("frame-ancestors 'none'")
  })

  it("the pages refuse framing in older browsers too (X-Frame-Options: DENY)", async () => {
    expect((await fetch(`${demo.url}/`)).headers.get("x-frame-options")).toBe("DENY")
  })

  it("the done message is escaped", async () => {
    const html = await (await fetch(`${demo.url}/?done=${encodeURIComponent("<script>alert(1)</script>")}`)).text()
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;")
  })
})

describe("bad input: stalled clients of the demo server", () => {
  it("the demo server waits at most 10 s for request headers", () => {
    expect(demo.server.headersTimeout).toBe(10_000)
  })

  it("the demo server waits at most 30 s for a whole request", () => {
    expect(demo.server.requestTimeout).toBe(30_000)
  })
})
