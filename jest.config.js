/** Jest runs the TypeScript tests in __test__/ against the built addon, in Japan time. */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/__test__/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/__test__/tsconfig.json' }] },
  globalSetup: '<rootDir>/__test__/global-setup.js',
  testTimeout: 60000,
}
