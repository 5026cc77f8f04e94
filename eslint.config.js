// Lint rules for every workspace: typescript-eslint's type-aware recommendations, formatting left to Prettier.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.next/**',
      'data/**',
      'coverage/**',
      'apps/api/src/generated/**',
      'apps/dashboard/src/generated/**',
      'test-artifacts/**',
      'apps/dashboard/next-env.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.ts', 'packages/*/bin/*.js', 'apps/*/bin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: 'error',
    },
  },
  // Test helpers live outside src/ (`<package>/test-support`); production code must not reach them.
  {
    files: ['**/src/**/*.ts', '**/src/**/*.tsx'],
    ignores: ['**/*.test.ts', '**/*.test.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/test-support', '**/test-support/**', '@resnet-lab/*/test-support'],
              message:
                'Test helpers are for tests only: import test-support from *.test.ts files, not production code.',
            },
          ],
        },
      ],
    },
  },
  // Plain JavaScript (this file, the CLI launcher) has no types to check against.
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  prettier,
);
