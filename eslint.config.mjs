// ESLint: type-aware rules that catch the mistakes Temporal code is prone to, and the
// boundaries of the layout: core / platform / one folder per capability (see CONTRIBUTING.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const NOT_CAPABILITIES = new Set(['core', 'platform', 'shared']);
const dirs = (root) =>
  readdirSync(new URL(root, import.meta.url), { withFileTypes: true })
    .filter((d) => d.isDirectory() && !NOT_CAPABILITIES.has(d.name))
    .map((d) => d.name);
// Every folder of src/ that is not core or platform is a capability.
const capabilities = dirs('./src/');
// Client code: every file in src/ but the worker bootstrap and the command that starts it.
const WORKER_SIDE = ['src/platform/worker/', 'src/platform/cli/commands/worker.ts'];
const clientCode = readdirSync(new URL('./src/', import.meta.url), { recursive: true })
  .map((f) => `src/${f}`)
  .filter((f) => f.endsWith('.ts') && !WORKER_SIDE.some((w) => f.startsWith(w)))
  .map((f) => `./${f}`);

const deterministic = {
  paths: nodeBuiltins.map((name) => ({
    name,
    message: 'Workflow code must be deterministic: move Node built-ins into an activity.',
  })),
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.data/**',
      'coverage/**',
      'bin/**',
      'scripts/**',
      '*.config.*',
      'jest.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            // The platform serves every capability and names none (the registry does).
            ...capabilities.flatMap((cap) => [
              {
                target: './src/platform',
                from: `./src/${cap}`,
                message: 'platform code must not name a capability; go through src/registry.ts',
              },
              {
                target: './src/platform',
                from: `./workflows/${cap}`,
                message: 'platform code must not name a capability; go through src/registry.ts',
              },
              {
                target: './src/platform',
                from: `./activities/${cap}`,
                message: 'platform code must not name a capability; go through src/registry.ts',
              },
              { target: './src/core', from: `./src/${cap}`, message: 'core is below every capability' },
              { target: './activities/shared', from: `./activities/${cap}` },
              { target: './workflows/shared', from: `./workflows/${cap}` },
            ]),
            { target: './src/core', from: './src/platform', message: 'core is below the platform' },
            // Client code (everything in src/ but the worker bootstrap) never loads activities.
            {
              target: clientCode,
              from: './activities',
              message: 'client code must not load activity code; only src/platform/worker does',
            },
            {
              target: clientCode,
              from: './src/platform/worker',
              except: ['./identity.ts'],
              message: 'client code must not load the worker; only `hactl worker` does',
            },
            // A capability's workflows see core, their own model, shared workflow helpers and
            // their own activities (types only, see below), nothing else.
            ...capabilities.flatMap((cap) => [
              {
                target: `./workflows/${cap}`,
                from: './src',
                except: ['./core', `./${cap}/model`],
                message: `workflows of ${cap} may import src/core and src/${cap}/model only`,
              },
              {
                target: `./workflows/${cap}`,
                from: './workflows',
                except: [`./${cap}`, './shared'],
                message: `workflows of ${cap} may import their own folder and workflows/shared only`,
              },
              {
                target: `./workflows/${cap}`,
                from: './activities',
                except: [`./${cap}`],
                message: `workflows of ${cap} may import the types of activities/${cap} only`,
              },
            ]),
            {
              target: './workflows/shared',
              from: './src',
              except: ['./core'],
              message: 'shared workflow helpers may import src/core only',
            },
          ],
        },
      ],
    },
  },
  {
    // Everything but the worker bootstrap: no worker, no activities, no system probes.
    files: ['src/**/*.ts'],
    ignores: ['src/platform/worker/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@temporalio/worker',
              message: 'client code must stay light: only src/platform/worker loads the worker',
              allowTypeImports: true,
            },
            { name: '@temporalio/activity', message: 'activity code belongs in activities/' },
            { name: 'systeminformation', message: 'host probes belong in activities/' },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in a deterministic sandbox; deterministic pieces live in core and
    // each capability's model, which workflows import.
    files: ['workflows/**/*.ts', 'src/core/**/*.ts', 'src/*/model/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', deterministic],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity'].map((name) => ({
            name,
            message: 'not in workflow code: use @temporalio/workflow',
          })),
          patterns: [
            {
              group: ['**/activities/**'],
              allowTypeImports: true,
              message: 'workflows import activity types only: `import type` + proxyActivities',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'import-x/no-restricted-paths': 'off',
    },
  },
);
