/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testTimeout: 60000,
  // The package links to itself (node_modules/pulumi-sendgrid-scheduled-batch -> ..) so that the
  // serialized provider can require it by name; keep jest from crawling that loop.
  modulePathIgnorePatterns: ["<rootDir>/dist/", "<rootDir>/node_modules/pulumi-sendgrid-scheduled-batch/"],
  // Programs import the package by name; in tests that is the source, not dist/.
  moduleNameMapper: { "^pulumi-sendgrid-scheduled-batch$": "<rootDir>/provider/index.ts" },
  transform: { "^.+\\.ts$": "ts-jest" },
  // Providers run in-process journal the batches they mint: into a temp file, not the repo.
  setupFiles: ["<rootDir>/test/support/journalEnv.ts"],
};
