import { defineConfig } from "vitest/config";

// `npm run test:vagrant`: the Vagrantfile on real VMs (test/vagrant/), apart from `npm test`,
// whose 30 minutes it does not fit (about 15 minutes on 2 cores under software emulation).
export default defineConfig({
  test: {
    reporters: ["default"],
    include: ["test/vagrant/**/*.test.ts"],
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
  },
});
