import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@guildpulse/source"] },
  ssr: { resolve: { conditions: ["@guildpulse/source"] } },
  test: { name: "demo", include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 }
})
