import { defineConfig } from "vitest/config";

// Unit tests run in parallel; lab tests (real containers, real SSH) each bring up a lab of their
// own with its own name and subnet, so files may run side by side, but a 2-core machine boots
// hosts faster when only two labs start at once.
export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          fileParallelism: true,
        },
      },
    ],
  },
});
