/** What `serve` keeps in its embedded store besides profiles and snapshots: alert rules (and analytics samples). */
import { describe, expect, it } from "vitest"
import { startServe, tempDir } from "./harness.js"

const ADMIN_KEY = "persistence-admin-key-0123456789"
const auth = { Authorization: `Bearer ${ADMIN_KEY}` }
const rules = { defaults: { stale_data: { olderThanMinutes: 42 } } }

const storedRules = async (url: string): Promise<unknown> => {
  const res = await fetch(`${url}/v1/alerts/rules`, { headers: auth })
  expect(res.status).toBe(200)
  return res.json()
}

describe("guildpulse serve with the embedded store", () => {
  it("keeps the alert rules set through the API across a restart", async () => {
    const dir = tempDir()
    const env = { GUILDPULSE_ADMIN_KEY: ADMIN_KEY, GUILDPULSE_DATA_DIR: `${dir}/data` }
    const first = await startServe([], env, dir)
    try {
      expect(await storedRules(first.url)).not.toEqual(rules)
      const put = await fetch(`${first.url}/v1/alerts/rules`, {
        method: "PUT",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify(rules)
      })
      expect(put.status).toBe(200)
      expect(await storedRules(first.url)).toEqual(rules)
    } finally {
      first.signal("SIGTERM")
    }
    expect(await first.exited).toBe(0)

    const second = await startServe([], env, dir)
    try {
      expect(await storedRules(second.url)).toEqual(rules)
    } finally {
      second.signal("SIGTERM")
      await second.exited
    }
  })
})
