#!/usr/bin/env node
// ClickHouse's in-process engine (npm `chdb`, 546 MB installed) for the tests and for
// EVENTS_STORE=clickhouse without CLICKHOUSE_URL. It is not a dependency of `pnpm install`, so the
// first README command stays fast: this installs what tools/chdb/package-lock.json pins, with npm,
// once into a cache folder (CHDB_DIR), which the event store loads chdb from.
// `node scripts/ensure-chdb.mjs` (`pnpm chdb:install`) does only that, and says how it went.
//
// An install is built in a fresh folder next to the target (same filesystem), marked complete,
// and renamed into place in one step: a half-finished install is never taken as done, and of two
// installs at once the first rename wins and the second drops its copy.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const tools = join(dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'chdb');
const MANIFEST = 'package.json';
const LOCKFILE = 'package-lock.json';
/** Written last, after npm succeeded and chdb loaded: its presence means the install is whole. */
export const CHDB_MARKER = '.tally-chdb-installed';

/** The chdb version tools/chdb/package.json pins (one place to change it). */
export const CHDB_VERSION = JSON.parse(readFileSync(join(tools, MANIFEST), 'utf8')).dependencies.chdb;

/** Where chdb is (to be) installed: CHDB_DIR, else <XDG_CACHE_HOME or ~/.cache>/tally/chdb-<version>. */
export function chdbDir(env = process.env) {
  if (env.CHDB_DIR) return resolve(env.CHDB_DIR);
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const cache = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(cache, 'tally', `chdb-${CHDB_VERSION}`);
}

export const MISSING_CHDB = [
  `ClickHouse's in-process engine (chdb ${CHDB_VERSION}) is not installed.`,
  '  Install it once (about 180 MB from the npm registry) with: pnpm chdb:install',
  `  It goes to CHDB_DIR (default: ${chdbDir({ XDG_CACHE_HOME: process.env.XDG_CACHE_HOME })}).`,
].join('\n');

/** True when `dir` holds a whole install of the pinned chdb (its package and the completion marker). */
export function chdbInstalled(dir) {
  return readJson(join(dir, CHDB_MARKER))?.chdb === CHDB_VERSION && chdbPackageIn(dir);
}

/** The pinned chdb's package is in `dir`/node_modules (whether or not the install finished). */
const chdbPackageIn = (dir) => readJson(join(dir, 'node_modules', 'chdb', 'package.json'))?.version === CHDB_VERSION;

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

let failure = null;

/** Why the last ensureChdb() gave null (one line), or null when it did not. */
export function chdbFailure() {
  return failure;
}

/**
 * The folder chdb is installed in (for `createRequire(join(dir, 'node_modules', 'x.js'))`),
 * installing it first when it is missing; null when it cannot be installed (chdbFailure() says why).
 */
export function ensureChdb({ env = process.env, log = console.log } = {}) {
  failure = null;
  const target = chdbDir(env);
  if (chdbInstalled(target)) return target;
  if (!emptyOrAbsent(target)) {
    failure = `${target} exists but holds no complete chdb ${CHDB_VERSION} install: remove it, or set CHDB_DIR elsewhere`;
    return null;
  }
  log(`ClickHouse's in-process engine (chdb, ~180 MB download) is missing: installing it into ${target} once…`);
  const parent = dirname(target);
  let temp = null;
  try {
    mkdirSync(parent, { recursive: true });
    removeAbandoned(parent, basename(target));
    temp = mkdtempSync(join(parent, `.${basename(target)}.installing-${process.pid}-`));
    for (const file of [MANIFEST, LOCKFILE]) writeFileSync(join(temp, file), readFileSync(join(tools, file)));
    npmInstall(temp, env);
    // The engine for this platform came with it: chdb loads (its native library is found).
    const load = spawnSync(process.execPath, ['-e', LOAD_CHDB], { cwd: temp, env, encoding: 'utf8' });
    if (load.status !== 0) throw new Error(`chdb does not load on this machine: ${firstLine(load.stderr)}`);
    writeFileSync(join(temp, CHDB_MARKER), `${JSON.stringify({ chdb: CHDB_VERSION, at: new Date().toISOString() })}\n`);
    chmodSync(temp, 0o755); // mkdtemp makes it 0700; an install is readable like any other
    try {
      // rename(2) is atomic: it replaces an empty folder, never a non-empty one.
      renameSync(temp, target);
      temp = null;
    } catch (error) {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      // Another install finished first: that one is used, and this copy removed below.
      if (!chdbInstalled(target))
        throw new Error(`${target} appeared meanwhile, without a complete chdb install`, { cause: error });
    }
    return target;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    return null;
  } finally {
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}

const LOAD_CHDB = 'try { require("chdb") } catch (e) { console.error(e.message); process.exit(1) }';

/**
 * Installs exactly what tools/chdb/package-lock.json pins (versions and integrity) into `dir`.
 * `npm install` with the lockfile rather than `npm ci`: the lockfile holds chdb's optional engine
 * packages that the registry serves (here linux-x64), and `npm ci` refuses a lockfile that lacks
 * any optional dependency, on every platform. So npm resolves the missing ones (exact versions,
 * pinned by chdb itself) and skips the unavailable, and the installed tree is checked against
 * the lockfile afterwards.
 */
function npmInstall(dir, env) {
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--package-lock=true'];
  // Whatever the user's npm config says: a plain node_modules tree, with the optional engine.
  args.push('--install-strategy=hoisted', '--include=optional');
  // npm's default retries wait 10 s then 60 s per request, one request after another: without a
  // registry that is minutes before the answer. One retry after 2 s, unless npm_config_* says otherwise.
  for (const [name, value] of [
    ['fetch-retries', 1],
    ['fetch-retry-mintimeout', 2000],
    ['fetch-retry-maxtimeout', 2000],
  ]) {
    const setting = `npm_config_${name.replaceAll('-', '_')}`;
    if (!Object.keys(env).some((key) => key.toLowerCase() === setting)) args.push(`--${name}=${value}`);
  }
  // chdb's own install script is a no-op (`node -e ""`); tools/chdb/package.json allows it.
  const npm = spawnSync('npm', args, {
    cwd: dir,
    env: npmEnv(env),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
    timeout: 30 * 60 * 1000,
  });
  if (npm.error?.code === 'ENOENT') throw new Error('npm was not found (it comes with Node.js)');
  if (npm.error?.code === 'ETIMEDOUT') throw new Error('npm install took more than 30 minutes');
  if (npm.error) throw new Error(`npm install could not run: ${npm.error.message}`);
  if (npm.signal) throw new Error(`npm install was stopped (${npm.signal})`);
  if (npm.status !== 0) throw new Error(`npm install failed: ${npmError(npm.stderr)}`);
  const locked = readJson(join(tools, LOCKFILE)).packages;
  for (const [path, entry] of Object.entries(locked)) {
    if (!path) continue;
    const version = readJson(join(dir, path, 'package.json'))?.version;
    if (version === undefined ? !entry.optional : version !== entry.version) {
      throw new Error(
        `npm installed ${path.slice('node_modules/'.length)} ${version ?? '(nothing)'}, the lockfile says ${entry.version}`,
      );
    }
  }
}

/** The environment for npm, without what a running pnpm/npm script adds for its own project. */
function npmEnv(env) {
  const own = /^npm_(config_(user_agent|local_prefix|verify_deps_before_run)|package_|lifecycle_|command$)|^pnpm_/i;
  return Object.fromEntries(Object.entries(env).filter(([name]) => !own.test(name)));
}

function emptyOrAbsent(dir) {
  try {
    return readdirSync(dir).length === 0;
  } catch (error) {
    return error.code === 'ENOENT';
  }
}

/** Install folders of processes that are gone (killed mid-install): each is ~546 MB. */
function removeAbandoned(parent, base) {
  const pattern = new RegExp(`^\\.${escape(base)}\\.installing-(\\d+)-`);
  for (const name of readdirSync(parent)) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (pid && !alive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM'; // exists, owned by someone else
  }
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const firstLine = (text) =>
  (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean) ?? 'no output';

/** npm's error in one line: its code and the first line that says what happened. */
function npmError(stderr) {
  const lines = (stderr ?? '')
    .split('\n')
    .filter((l) => l.startsWith('npm error '))
    .map((l) => l.slice('npm error '.length).trim());
  const code = lines.find((l) => l.startsWith('code '))?.slice('code '.length);
  const what = lines.find((l) => !/^(code|errno|syscall|A complete log)\b/.test(l) && l);
  if (!what) return firstLine(stderr);
  return code && !what.includes(code) ? `${code}: ${what}` : what;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = ensureChdb();
  if (dir) {
    console.log(`chdb ${CHDB_VERSION} is installed in ${dir}`);
    process.exit(0);
  }
  console.error(`Could not install chdb into ${chdbDir()}: ${chdbFailure()}`);
  process.exit(1);
}
