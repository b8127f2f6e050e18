import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@guildpulse/source"] },
  ssr: { resolve: { conditions: ["@guildpulse/source"] } },
  // /embed.js is served from @guildpulse/widget's dist/embed.min.js, a build product: bundle it first.
  test: { name: "demo", include: ["test/**/*.test.ts"], globalSetup: ["../../packages/widget/scripts/embed.ts"], testTimeout: 60_000, hookTimeout: 60_000 }
})
