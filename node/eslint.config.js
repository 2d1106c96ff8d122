'use strict';
// ESLint's flat config for the Node face, its tests and its examples; make lint runs it from
// the repository root (scripts/lint-faces). CommonJS on Node >= 18, as the package ships.
const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'commonjs',
      globals: { ...globals.node },
    },
    rules: {
      // The code keeps these already; they stay errors so it goes on keeping them.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-throw-literal': 'error',
      'prefer-promise-reject-errors': 'error',
    },
  },
];
