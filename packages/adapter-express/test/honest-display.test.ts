/**
 * The public card and badge of a profile that cannot work as configured say what is wrong instead of
 * numbers (widget and badge routes render `@guildpulse/widget`'s messages for the view's reasons).
 */
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeHarness, type Harness } from "./fixtures.js"

describe("widget and badge of a misconfigured profile", () => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness({ publicRateLimit: false })
    // A mistyped guild id: Discord answers "Unknown Guild" to every source.
    h.source.set({ _tag: "failing", reason: "unknown_guild", status: 404 })
  })
  afterAll(() => h.close())

  it("the card says 'Server not found.' and shows no numbers", async () => {
    const res = await request(h.app).get("/v1/profiles/cold/widget")
    expect(res.status).toBe(200)
    expect(res.text).toContain('data-state="unavailable"')
    expect(res.text).toContain('<p class="gp-message">Server not found.</p>')
    expect(res.text).not.toContain("data-gp-value")
    const fr = await request(h.app).get("/v1/profiles/cold/widget?locale=fr")
    expect(fr.text).toContain('<p class="gp-message">Serveur introuvable.</p>')
  })

  it("the badge says 'server not found', and its title and aria-label say it is unavailable", async () => {
    const res = await request(h.app).get("/v1/profiles/cold/badge.svg")
    expect(res.status).toBe(200)
    const svg = res.body.toString()
    expect(svg).toContain(">server not found</text>")
    expect(svg).not.toMatch(/online|members/)
    expect(svg).toMatch(/<title>discord: unavailable \(server not found[^<]*\)<\/title>/)
    expect(svg).toMatch(/aria-label="discord: unavailable \(server not found[^"]*\)"/)
  })
})
