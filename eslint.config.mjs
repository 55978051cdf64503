// ESLint (flat config) as the VS Code extension generator ships it: typescript-eslint's parser, import names in
// camelCase or PascalCase, and curly / eqeqeq / no-throw-literal / semi. Formatting is Prettier's (.prettierrc).
import typescriptEslint from 'typescript-eslint';

export default [
  {
    ignores: ['dist/**', 'out/**', 'node_modules/**', 'media/**', '.bench/**', 't2vid-out/**'],
  },
  {
    files: ['**/*.ts'],
  },
  {
    plugins: {
      '@typescript-eslint': typescriptEslint.plugin,
    },
    languageOptions: {
      parser: typescriptEslint.parser,
      ecmaVersion: 2022,
      sourceType: 'module',
    },
    rules: {
      '@typescript-eslint/naming-convention': [
        'warn',
        {
          selector: 'import',
          format: ['camelCase', 'PascalCase'],
        },
      ],
      curly: 'warn',
      eqeqeq: 'warn',
      'no-throw-literal': 'warn',
      semi: 'warn',
    },
  },
];
