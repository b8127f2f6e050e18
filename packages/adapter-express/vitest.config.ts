import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@guildpulse/source"] },
  ssr: { resolve: { conditions: ["@guildpulse/source"] } },
  // Timeouts are safety nets for a saturated machine, not expectations (tests wait for events, or run on TestClock).
  // /embed.js is served from @guildpulse/widget's dist/embed.min.js, a build product: bundle it first.
  test: { name: "adapter-express", include: ["test/**/*.test.ts"], testTimeout: 60_000, globalSetup: ["../widget/scripts/embed.ts"] }
})
