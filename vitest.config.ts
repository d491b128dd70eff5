import { defineConfig } from 'vitest/config';

// Three projects, one runner: unit (pure logic, fixtures), integration (the real Docker engine and the
// rig), e2e (the renderer in Debian's Chromium through the web host). Files run one at a time because
// integration and e2e share the test containers of one Docker engine.
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    fileParallelism: false,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.{ts,tsx}'], environment: 'node' } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000 } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000 } },
    ],
  },
});
