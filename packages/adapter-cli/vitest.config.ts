import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@guildpulse/source"] },
  ssr: { resolve: { conditions: ["@guildpulse/source"] } },
  test: {
    name: "adapter-cli",
    include: ["test/**/*.test.ts"],
    // Builds dist/bin.js once: the tests run the built binary as a subprocess.
    globalSetup: ["test/globalSetup.ts"],
    // Every test starts node processes; files run one at a time so a busy 2-core machine is not flooded.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 180_000
  }
})
