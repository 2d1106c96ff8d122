'use strict';
// The TypeScript declarations that ship with the package compile against a program that
// uses the whole API, and reject wrong event names and listener signatures.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

let tsc = null;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  // typescript is a devDependency of tests/node; tests/node/run installs it
}

test('index.d.ts compiles with tsc --noEmit (strict)', { skip: tsc ? false : 'typescript is not installed' }, () => {
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types', 'tsconfig.json')], {
    encoding: 'utf8',
    cwd: __dirname,
  });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});
