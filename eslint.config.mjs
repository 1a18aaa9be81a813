import {includeIgnoreFile} from '@eslint/compat'
import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const gitignorePath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '.gitignore')

/**
 * eslint-config-oclif and prettier as the oclif template sets them up. Where this project departs
 * from them, the reason is given: each rule below would fight a requirement, not a habit.
 */
export default [
  includeIgnoreFile(gitignorePath),
  ...oclif,
  prettier,
  {
    rules: {
      // The CIDX wire contract and our --json output are snake_case (job_id, created_at, ...).
      camelcase: ['error', {ignoreDestructuring: true, properties: 'never'}],
      // Paging follows the server's last answer, polling and retries wait between rounds: these
      // loops are sequential on purpose.
      'no-await-in-loop': 'off',
      // Key order is output order: --json, the wire shapes and error objects keep the order the
      // README and the contract document.
      'perfectionist/sort-objects': 'off',
      // A Set's order is its iteration order (statuses in the order they are shown and sent).
      'perfectionist/sort-sets': 'off',
      'perfectionist/sort-maps': 'off',
      // An explicit undefined argument is how a test says "not given" to a parameter typed
      // `T | undefined`; dropping it would not type-check.
      'unicorn/no-useless-undefined': ['error', {checkArguments: false}],
      // `.filter(Boolean)` loses TypeScript's type guard where `(x): x is T => Boolean(x)` keeps it.
      'unicorn/prefer-native-coercion-functions': 'off',
      // The local server is a workspace of this repository, not a dependency to install.
      'n/no-extraneous-import': ['error', {allowModules: ['@cidx/local-server']}],
      // These work unflagged on Node 20.19, the oldest Node this project supports.
      'n/no-unsupported-features/node-builtins': [
        'error',
        {ignores: ['fetch', 'Headers', 'WritableStream', 'fs.cpSync', 'fs/promises.cp']},
      ],
      // An assignment in parentheses is deliberate: `(cached ??= load())`, `(text += chunk)`.
      'no-return-assign': ['error', 'except-parens'],
      // `void promise` marks a promise that is deliberately not awaited.
      'no-void': ['error', {allowAsStatement: true}],
      // Build outputs (dist/, and the local server's server/dist behind @cidx/local-server) exist only
      // after `npm run build`, which npm test runs after the linter.
      'import/no-unresolved': ['error', {ignore: [String.raw`^@cidx/local-server$`, String.raw`^\.\./dist/`]}],
      // File modes and flags are bit fields.
      'no-bitwise': 'off',
      // What a generator yields is said in its doc comment's prose.
      'jsdoc/require-yields': 'off',
      // got documents its default export as the way to import it.
      'import/no-named-as-default': 'off',
    },
  },
  {
    // One describe per unit under test; helpers for the tests export what the tests share.
    files: ['test/**', 'server/test/**'],
    rules: {
      'mocha/max-top-level-suites': 'off',
      'mocha/no-exports': 'off',
    },
  },
  {
    // The server's tests run with the root workspace's mocha and chai.
    files: ['server/test/**'],
    rules: {'n/no-extraneous-import': ['error', {allowModules: ['@cidx/local-server', 'chai']}]},
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      globals: {__dirname: 'readonly', module: 'writable', process: 'readonly', require: 'readonly'},
      sourceType: 'commonjs',
    },
    rules: {'@typescript-eslint/no-require-imports': 'off', 'unicorn/prefer-module': 'off'},
  },
]
