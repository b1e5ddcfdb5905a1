import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

const isCI = process.env['CI'] === 'true';
const realBackend = Boolean(process.env['DATABASE_URL'] && process.env['REDIS_URL']);

if (!realBackend) {
  const message =
    'PostgreSQL + Redis backend: DATABASE_URL and REDIS_URL are not both set, so the suite runs on PGlite and the in-process limiter only';
  if (isCI) throw new Error(`${message}; CI must test the real backend`);
  console.warn(`skipped: ${message}`);
}

function serverProject(backend: 'embedded' | 'real'): TestProjectInlineConfiguration {
  return {
    test: {
      name: `server-${backend}`,
      include: ['packages/server/test/**/*.test.ts', 'packages/server/src/**/*.test.ts'],
      env: { MOJI_TEST_BACKEND: backend },
      globalSetup: backend === 'real' ? ['packages/server/test/support/check-real-backend.ts'] : [],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'contracts',
          include: ['packages/contracts/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'client',
          include: ['packages/client/test/**/*.test.ts', 'packages/client/src/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      serverProject('embedded'),
      ...(realBackend ? [serverProject('real')] : []),
    ],
  },
});
