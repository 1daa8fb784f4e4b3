import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: {
    // Tests run against the sources (the package itself exports the built dist/).
    alias: { sluice: fileURLToPath(new URL("./src/index.ts", import.meta.url)) }
  },
  test: {
    // Native SQLite and child processes: one process per test file.
    pool: "forks",
    testTimeout: 60_000,
    // The sluice command's tests spawn the built command: dist/ is built once per run.
    globalSetup: ["test/support/buildOnce.ts"],
    hookTimeout: 60_000,
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "behaviour",
          include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
          exclude: ["test/faults/**"]
        }
      },
      {
        // Faults that touch shared things (PostgreSQL restarted, a disk filled, processes killed,
        // the heap measured): after the behaviour suites, one file at a time.
        extends: true,
        test: {
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          poolOptions: { forks: { singleFork: true } },
          sequence: { groupOrder: 1 }
        }
      }
    ]
  }
})
