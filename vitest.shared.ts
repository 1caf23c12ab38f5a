import { defineConfig } from 'vitest/config';

// In-repo packages resolve each other's TypeScript source through the
// `@atlas/source` export condition, so tests need no build step.
export default defineConfig({
  resolve: { conditions: ['@atlas/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@atlas/source', 'module', 'node', 'import', 'default'] } },
  test: {
    include: ['src/**/*.test.ts', '*.test.ts'],
    testTimeout: 60_000,
    // Hooks run real programs too (ansible-playbook in forgejo-runner's): vitest's 10 s is
    // too close on a busy 2-core machine.
    hookTimeout: 60_000,
    // A package's test files share one child process and its loaded modules:
    // each file no longer imports (and transforms) the whole workspace again,
    // about a quarter of a package's test time. Processes, not worker threads:
    // the write layer's tests change the working folder and the umask.
    pool: 'forks',
    isolate: false,
  },
});
