// ESLint flat config. Orchestrator files must stay deterministic: no Node built-ins, SDKs or I/O modules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const ioModules = [
  'node:*', 'fs', 'fs/*', 'path', 'http', 'https', 'net', 'crypto', 'child_process', 'os', 'timers', 'timers/*',
  '@azure/storage-blob', '@azure/cosmos', '@azure/identity', '@microsoft/microsoft-graph-client', 'jose',
  'better-sqlite3', 'undici', 'axios', 'node-fetch',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', '.stack/**', 'coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Orchestrators are replayed: no I/O, no clock, no randomness. All effects go through activities.
    files: ['functions/orchestrators/**/*.ts', 'test/fixtures/**/orchestrators/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ioModules.map((group) => ({ group: [group], message: 'Orchestrators must not do I/O; call an activity.' })) }],
      'no-restricted-globals': ['error', 'fetch', 'setTimeout', 'setInterval', 'process'],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use context.df.currentUtcDateTime.' },
        { object: 'Math', property: 'random', message: 'Orchestrators must be deterministic.' }],
    },
  },
);
