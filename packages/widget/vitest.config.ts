import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@guildpulse/source"] },
  ssr: { resolve: { conditions: ["@guildpulse/source"] } },
  // Real Chromium and real fetches: timeouts are safety nets for a saturated machine, not expectations.
  test: { name: "widget", include: ["test/**/*.test.ts"], testTimeout: 60_000 }
})
