// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cascade/**', 'coverage/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // CommonJS config files (.dependency-cruiser.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O, and
    // only the *types* of activities and providers.
    files: ['src/temporal/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'http', 'https', 'crypto', 'os'],
              message: 'Workflow code must not do I/O.',
            },
            {
              group: [
                '../../request/providers/*',
                // Pure: the details of a failure no call was billed for, built by workflows too.
                '!../../request/providers/no-call-failure',
                '../../request/ledger/*',
                '../../request/config/*',
                '../../request/config-file/*',
                '../../doors/**',
                '../../tools/**',
                '../activities/*',
                '../activities',
              ],
              message:
                'Workflows import only pure router logic, and only the types of activities and providers.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
