#!/usr/bin/env node
// Builds the native addon with cargo and puts it next to index.js as ferromq.node.
//
//   node build-addon.js              debug build (what tests and examples use)
//   node build-addon.js --release    optimised build
//   node build-addon.js --if-missing do nothing when ferromq.node is already there
//
// FERROMQ_NODE_PROFILE=debug|release overrides the profile. This is also npm's `install`
// script, so `npm install ./node` builds the addon; it needs only cargo, not @napi-rs/cli
// (npm does not install a linked package's devDependencies).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const target = path.join(here, 'ferromq.node');
const args = process.argv.slice(2);

if (args.includes('--if-missing') && fs.existsSync(target)) {
  process.exit(0);
}

let profile = args.includes('--release') ? 'release' : 'debug';
if (process.env.FERROMQ_NODE_PROFILE) profile = process.env.FERROMQ_NODE_PROFILE;
if (profile !== 'debug' && profile !== 'release') {
  fail(`FERROMQ_NODE_PROFILE must be debug or release, not "${profile}"`);
}

const manifest = path.join(here, 'Cargo.toml');
if (!fs.existsSync(path.join(here, '..', 'core', 'Cargo.toml'))) {
  fail('the ferromq sources are not beside this package (core/ is missing); ' +
    'install from a checkout of the repository: npm install <repo>/node');
}

const cargoArgs = ['build', '--manifest-path', manifest, '-p', 'ferromq-node',
  '--message-format=json-render-diagnostics'];
if (profile === 'release') cargoArgs.push('--release');

// stdout carries cargo's JSON messages (we look for the library it produced); the
// compiler's own diagnostics still reach the terminal through stderr.
const run = spawnSync(process.env.CARGO || 'cargo', cargoArgs, {
  cwd: here,
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 256 * 1024 * 1024,
  encoding: 'utf8',
});
if (run.error) {
  fail(`cannot run cargo (${run.error.message}); install Rust from https://rustup.rs`);
}
if (run.status !== 0) fail(`cargo build failed (exit ${run.status})`);

let library = null;
for (const line of run.stdout.split('\n')) {
  if (!line.startsWith('{')) continue;
  let msg;
  try { msg = JSON.parse(line); } catch { continue; }
  if (msg.reason === 'compiler-artifact' && msg.target && msg.target.name === 'ferromq_node') {
    library = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f)) || library;
  }
}
if (!library) fail('cargo did not report the ferromq_node library');

// Copy then rename: a running process that loaded the old file keeps its copy intact.
const tmp = path.join(here, `.ferromq-${process.pid}.tmp.node`);
fs.copyFileSync(library, tmp);
fs.renameSync(tmp, target);
console.error(`ferromq: built ${path.relative(process.cwd(), target) || target} (${profile})`);

function fail(message) {
  console.error(`ferromq: ${message}`);
  process.exit(1);
}
