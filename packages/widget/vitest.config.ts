import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@guildpulse/source"] },
  ssr: { resolve: { conditions: ["@guildpulse/source"] } },
  // Real Chromium and real fetches: timeouts are safety nets for a saturated machine, not expectations.
  // Tests serve the element from sources: bundle dist/embed.min.js first, as the package build does.
  test: { name: "widget", include: ["test/**/*.test.ts"], testTimeout: 60_000, globalSetup: ["./scripts/embed.ts"] }
})
