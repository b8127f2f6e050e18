import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@guildpulse/source"] },
  ssr: { resolve: { conditions: ["@guildpulse/source"] } },
  // The end-to-end test runs a real WordPress (MariaDB + php) and a real `guildpulse serve --sandbox`:
  // timeouts are safety nets for a saturated machine, not expectations.
  test: { name: "adapter-wordpress", include: ["test/**/*.test.ts"], globalSetup: ["./test/globalSetup.ts"], fileParallelism: false, testTimeout: 240_000, hookTimeout: 240_000 }
})
