#!/usr/bin/env node
// `pnpm build` (also run by `pnpm start`, `pnpm test`, `pnpm seed`, `pnpm bench`): builds
// shared, sdk, server and web, each only when its inputs changed since its last successful build,
// and says in one line what was rebuilt. A package's inputs are its sources and configuration,
// the lockfile, the root TypeScript settings, the packages it uses (their own inputs), and for
// the web app the VITE_* variables and NODE_ENV; their hash is kept in `dist/.build-inputs` and
// written only after a successful build. A changed input always rebuilds; no stamp (a fresh
// checkout, a deleted dist) rebuilds. `--force` rebuilds everything; `--dry-run` only says what
// would be rebuilt.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const force = args.has('--force');
const dryRun = args.has('--dry-run');

const COMMON = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'tsconfig.base.json'];
const PACKAGES = [
  {
    name: 'shared',
    inputs: ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'],
    uses: [],
    output: 'dist/index.js',
  },
  {
    // The SDK (packages/sdk): its types, ESM and CommonJS builds and the browser bundle.
    name: 'sdk',
    inputs: ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'rolldown.config.mjs'],
    uses: [],
    output: 'dist/index.cjs',
  },
  {
    name: 'server',
    inputs: ['src', 'scripts', 'bench', 'package.json', 'tsconfig.json', 'tsconfig.build.json'],
    // `pnpm seed` sends its sample data through the SDK.
    uses: ['shared', 'sdk'],
    output: 'dist/src/main.js',
  },
  {
    name: 'web',
    inputs: [
      'src',
      'public',
      'index.html',
      'package.json',
      'tsconfig.json',
      'tsconfig.node.json',
      'vite.config.ts',
      'codegen.ts',
    ],
    uses: ['shared'],
    output: 'dist/index.html',
    env: (name) => name.startsWith('VITE_') || name === 'NODE_ENV',
  },
];
const STAMP = join('dist', '.build-inputs');
const SKIP = new Set(['node_modules', 'dist', '.DS_Store']);

/** Adds every file under `path` (sorted, by path relative to the root, and content) to the hash. */
function addTree(hash, path) {
  let info;
  try {
    info = lstatSync(path);
  } catch {
    hash.update(`missing ${relative(root, path)}\0`);
    return;
  }
  if (info.isDirectory()) {
    for (const entry of readdirSync(path).sort()) if (!SKIP.has(entry)) addTree(hash, join(path, entry));
  } else if (info.isFile() || info.isSymbolicLink()) {
    hash.update(`file ${relative(root, path)}\0`);
    hash.update(readFileSync(path));
    hash.update('\0');
  }
}

const hashes = new Map();
for (const pkg of PACKAGES) {
  const dir = join(root, 'packages', pkg.name);
  const hash = createHash('sha256');
  for (const file of COMMON) addTree(hash, join(root, file));
  for (const input of pkg.inputs) addTree(hash, join(dir, input));
  for (const used of pkg.uses) hash.update(`uses ${used} ${hashes.get(used)}\0`);
  if (pkg.env) {
    for (const name of Object.keys(process.env).filter(pkg.env).sort()) {
      hash.update(`env ${name}=${process.env[name]}\0`);
    }
  }
  hashes.set(pkg.name, hash.digest('hex'));
}

function upToDate(pkg) {
  const dir = join(root, 'packages', pkg.name);
  if (!existsSync(join(dir, pkg.output))) return false;
  try {
    return readFileSync(join(dir, STAMP), 'utf8').trim() === hashes.get(pkg.name);
  } catch {
    return false;
  }
}

const stale = PACKAGES.filter((pkg) => force || !upToDate(pkg));
const fresh = PACKAGES.filter((pkg) => !stale.includes(pkg)).map((pkg) => pkg.name);
if (dryRun) {
  console.log(
    stale.length === 0 ? 'Build: nothing changed' : `Build: would rebuild ${stale.map((p) => p.name).join(', ')}`,
  );
  process.exit(0);
}

// pnpm sets npm_execpath to itself when it runs a script; otherwise use the pnpm on the PATH.
const pnpm = process.env.npm_execpath;
for (const pkg of stale) {
  const dir = join(root, 'packages', pkg.name);
  rmSync(join(dir, STAMP), { force: true }); // a failed build leaves no stamp: the next one runs again
  const build = pnpm
    ? spawnSync(process.execPath, [pnpm, 'run', 'build'], { cwd: dir, stdio: 'inherit' })
    : spawnSync('pnpm', ['run', 'build'], { cwd: dir, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) {
    console.error(
      build.error
        ? `Could not build ${pkg.name}: ${build.error.message}`
        : `The build of ${pkg.name} failed (see above).`,
    );
    process.exit(build.status ?? 1);
  }
  writeFileSync(join(dir, STAMP), `${hashes.get(pkg.name)}\n`);
}
console.log(
  stale.length === 0
    ? 'Build: nothing changed'
    : `Build: rebuilt ${stale.map((p) => p.name).join(', ')}${fresh.length > 0 ? ` (${fresh.join(', ')} unchanged)` : ''}`,
);
