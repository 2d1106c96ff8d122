'use strict';
// Shared by the test files: broker coordinates, unique topics, and waiting for events.
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { mqtt } = require('ferromq');

const HOST = process.env.FERROMQ_TEST_HOST || '127.0.0.1';
const PORT = Number(process.env.FERROMQ_TEST_PORT || 0);
const AUTH_PORT = Number(process.env.FERROMQ_TEST_AUTH_PORT || 0);
const USER = process.env.FERROMQ_TEST_USER || '';
const PASSWORD = process.env.FERROMQ_TEST_PASSWORD || '';
const CLOSED_PORT = Number(process.env.FERROMQ_TEST_CLOSED_PORT || 0);

/** Set when the FERROMQ_TEST_* variables are missing: broker tests skip themselves. */
const NO_BROKER = PORT ? false : 'no broker: run under tests/harness/with-brokers';

/** A topic no other test (or parallel run) uses. */
function uniqueTopic(name) {
  return `ferromq/test/node/${name}/${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
}

/** The next `event` of `client` for which `pred` holds, or a rejection after `ms`. */
function nextEvent(client, event, pred = () => true, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(event, on);
      reject(new Error(`timed out after ${ms} ms waiting for ${event}`));
    }, ms);
    function on(e) {
      if (!pred(e)) return;
      clearTimeout(timer);
      client.off(event, on);
      resolve(e);
    }
    client.on(event, on);
  });
}

/** Collects every event of the given names, in order, as [name, event] pairs. */
function record(client, names) {
  const seen = [];
  for (const n of names) client.on(n, (e) => seen.push([n, e]));
  return seen;
}

/** Resolves once `cond()` holds (checked every 10 ms), rejects after `ms`. */
async function until(cond, what, ms = 10000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A client connected to the plain listener (version 0 = 3.1.1, 1 = 5.0). */
async function connected(version = 0) {
  const m = new mqtt();
  m.version = version;
  m.timeout = 20;
  await m.connectTo(HOST, PORT);
  return m;
}

/**
 * Disconnect if still connected, and abandon a connection attempt still in progress (a
 * failed test may leave one, which would keep the test process alive); never throws.
 */
async function closeQuietly(m) {
  try {
    if (m.isConnected()) await m.disconnect();
    await m.interrupt();
  } catch {
    // the test already failed or the server went away; nothing to clean
  }
}

/**
 * A "silent listener": a TCP server on a free loopback port that accepts connections and
 * never answers. `sockets` holds what it accepted, `bytes` counts what it was sent,
 * `closed` how many of them the client closed.
 */
async function silentListener() {
  const sockets = [];
  let bytes = 0;
  let closed = 0;
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('data', (d) => { bytes += d.length; });
    s.on('error', () => {});
    s.on('close', () => { closed++; });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    sockets,
    get bytes() { return bytes; },
    /** How many accepted connections have closed since. */
    get closed() { return closed; },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback TCP port that was free a moment ago. */
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(() => resolve()));
  return port;
}

/** A path in the temporary directory no other test (or parallel run) uses; nothing is created. */
function tempFile(name) {
  return path.join(os.tmpdir(), `ferromq-node-${name}-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
}

function mosquittoPath() {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']) {
    if (fs.existsSync(p)) return p;
  }
  return 'mosquitto';
}

// Private brokers still running; killed when the test process exits, whatever happened.
const privateBrokers = new Set();
process.on('exit', () => {
  for (const child of privateBrokers) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepting(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * A mosquitto of the test's own on a free loopback port, for tests that freeze, kill and
 * restart their broker (the harness's broker serves the other tests at the same time and must
 * never be stopped). `extra` lines go into its config. Methods: pause() (SIGSTOP: the
 * connections stay open, nothing is answered), resume(), kill() (SIGKILL: no goodbye, no
 * session kept), restart() (the same port and config), stop() (kill and remove its files).
 */
async function privateBroker(extra = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ferromq-node-broker-${process.pid}-`));
  const conf = path.join(dir, 'mosquitto.conf');
  let child = null;

  async function spawnBroker(port) {
    const c = spawn(mosquittoPath(), ['-c', conf], { stdio: 'ignore' });
    let exited = false;
    c.once('exit', () => {
      exited = true;
      privateBrokers.delete(c);
    });
    c.once('error', () => {
      exited = true;
    });
    privateBrokers.add(c);
    const end = Date.now() + 5000;
    while (Date.now() < end && !exited) {
      if (await accepting(port)) {
        child = c;
        return true;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    c.kill('SIGKILL');
    return false;
  }

  async function kill() {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await gone;
  }

  function signal(sig) {
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill(sig);
  }

  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    fs.writeFileSync(
      conf,
      `listener ${port} 127.0.0.1\nallow_anonymous true\nuser root\npersistence false\n` +
        `max_queued_messages 100000\n${extra}\n`,
    );
    if (await spawnBroker(port)) {
      return {
        port,
        dir,
        pause: () => signal('SIGSTOP'),
        resume: () => signal('SIGCONT'),
        kill,
        async restart() {
          await kill();
          const end = Date.now() + 10000;
          while (Date.now() < end) {
            if (await spawnBroker(port)) return;
            await new Promise((r) => setTimeout(r, 100));
          }
          throw new Error(`mosquitto did not come back on port ${port}`);
        },
        async stop() {
          await kill();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw new Error('cannot start a private mosquitto (is it installed? scripts/setup.sh)');
}

const HARNESS = path.join(__dirname, '..', 'harness');

// Scripted peers and lone brokers still running; killed when the test process exits.
const harnessChildren = new Set();
process.on('exit', () => {
  for (const child of harnessChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when `child` has exited (at once if it already has). */
function exitOf(child) {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * tests/harness/hostile-peer MODE as a child process: `port` is where it listens; close()
 * ends it (it serves until its standard input closes).
 */
async function hostilePeer(mode) {
  const child = spawn(path.join(HARNESS, 'hostile-peer'), [mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  harnessChildren.add(child);
  child.once('exit', () => harnessChildren.delete(child));
  child.once('error', () => {});
  const port = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`hostile-peer ${mode} printed no port`)), 30000);
    child.stdout.on('data', (d) => {
      text += d;
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        const port = Number(text.slice(0, nl).trim());
        if (Number.isInteger(port) && port > 0) resolve(port);
        else reject(new Error(`hostile-peer ${mode} printed ${JSON.stringify(text.slice(0, nl))}, not a port`));
      }
    });
    child.once('exit', () => reject(new Error(`hostile-peer ${mode} exited before printing its port`)));
  });
  return {
    port,
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exitOf(child);
      clearTimeout(timer);
    },
  };
}

/**
 * tests/harness/lone-broker: a persistent mosquitto of the test's own, to kill -9, restart
 * (same directory and port: it comes back with the sessions it saved) or freeze. Its child
 * IS mosquitto (the script execs it), so signals reach the broker itself.
 */
async function loneBroker() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ferromq-node-lone-${process.pid}-`));
  let port = null;
  let child = null;

  async function start() {
    fs.rmSync(path.join(dir, 'port'), { force: true });
    const args = [dir];
    if (port !== null) args.push(String(port));
    const c = spawn(path.join(HARNESS, 'lone-broker'), args, { stdio: 'ignore' });
    harnessChildren.add(c);
    c.once('exit', () => harnessChildren.delete(c));
    c.once('error', () => {});
    child = c;
    const end = Date.now() + 30000;
    while (Date.now() < end && !exited(c)) {
      if (port === null) {
        try {
          const text = fs.readFileSync(path.join(dir, 'port'), 'utf8').trim();
          if (/^\d+$/.test(text)) port = Number(text);
        } catch {
          // not written yet
        }
      }
      if (port !== null && (await accepting(port))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    let said = '';
    try {
      said = fs.readFileSync(path.join(dir, 'mosquitto.log'), 'utf8');
    } catch {
      // no log
    }
    throw new Error(`the lone broker did not accept on port ${port}: ${said}`);
  }

  function signal(sig) {
    if (child !== null && !exited(child)) child.kill(sig);
  }

  /** kill -9: no goodbye to the clients, nothing saved beyond the last autosave. */
  async function kill() {
    const c = child;
    child = null;
    if (c === null || exited(c)) return;
    c.kill('SIGCONT');
    c.kill('SIGKILL');
    await exitOf(c);
  }

  await start();
  return {
    get port() {
      return port;
    },
    dir,
    start,
    kill,
    signal,
    /** Waits (best effort, 10 s) until the broker has saved its state after `since` (Date.now()). */
    async waitSaved(since) {
      const db = path.join(dir, 'mosquitto.db');
      const end = Date.now() + 10000;
      while (Date.now() < end) {
        try {
          if (fs.statSync(db).mtimeMs > since) return;
        } catch {
          // not saved yet
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client id no other test (or parallel run) uses. */
function uniqueClientId(name) {
  return `fmq-node-${name}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

/**
 * Run `code` in a child node (cwd tests/node, so `require('ferromq')` resolves as for users)
 * with --expose-gc. Resolves with {code, signal, stdout, stderr, timedOut}; a child still
 * running after `ms` is killed and reported as timed out. `onLine(line, child)` sees each
 * line the child prints, as it arrives.
 */
function runChild(code, ms = 15000, onLine = null) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '-e', code], {
      cwd: __dirname,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!onLine) return;
      partial += d;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        onLine(line, child);
      }
    });
    child.stderr.on('data', (d) => { stderr += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Prepended to runChild code: the package and the broker's address. */
const CHILD_PRELUDE = `
const { mqtt } = require('ferromq');
const HOST = process.env.FERROMQ_TEST_HOST, PORT = Number(process.env.FERROMQ_TEST_PORT);
`;

module.exports = {
  silentListener,
  privateBroker,
  hostilePeer,
  loneBroker,
  tempFile,
  freePort,
  uniqueClientId,
  runChild,
  CHILD_PRELUDE,
  mqtt,
  HOST,
  PORT,
  AUTH_PORT,
  USER,
  PASSWORD,
  CLOSED_PORT,
  NO_BROKER,
  uniqueTopic,
  nextEvent,
  record,
  until,
  connected,
  closeQuietly,
};
