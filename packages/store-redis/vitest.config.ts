import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@guildpulse/source"] },
  ssr: { resolve: { conditions: ["@guildpulse/source"] } },
  // Tests wait for events from real processes (redis-server, BullMQ, child processes), never for durations; the
  // timeouts are safety nets sized for a saturated machine, not expectations.
  test: { name: "store-redis", include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 }
})
