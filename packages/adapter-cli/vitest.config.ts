import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@guildpulse/source"] },
  ssr: { resolve: { conditions: ["@guildpulse/source"] } },
  test: {
    name: "adapter-cli",
    include: ["test/**/*.test.ts"],
    // Builds dist/bin.js once: the tests run the built binary as a subprocess.
    globalSetup: ["test/globalSetup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000
  }
})
