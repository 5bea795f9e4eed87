import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * Which of Mantine's stylesheets the dashboard needs, read from Mantine's own files rather than
 * from a list kept by hand:
 *
 * - Every value imported from a `@mantine/*` package anywhere in src/ (statically, or the whole
 *   package for an `import('@mantine/…')`) is followed through the package's ES modules
 *   (esm/index.mjs → the component → every module it imports, across packages: @mantine/dates and
 *   @mantine/notifications build on @mantine/core's components). A component's CSS module is
 *   there as `X.module.mjs`, the map of its class names (`m_77c9d27d`), so the walk ends with
 *   every Mantine class the dashboard can render.
 * - Every stylesheet imported in src/ is read for the classes it styles.
 * - A class that Mantine styles (it is in the package's full styles.css) but no imported
 *   stylesheet does is missing; `@mantine/core/styles/<file>.css` that styles it is named.
 */

const WEB_DIR = resolve(__dirname, '..');
const SRC_DIR = join(WEB_DIR, 'src');

/** A file of src/ and what it imports from Mantine's packages. */
interface SourceImports {
  file: string;
  /** [package, exported name]; the name is '*' for `import('@mantine/…')`. */
  values: Array<[string, string]>;
  /** Stylesheets, as written: `@mantine/core/styles/Button.css`, `./app/theme.css`. */
  stylesheets: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.tsx?$/.test(file))
    .map((file) => join(dir, file));
}

/** The imports of one source file, by TypeScript's parser (type-only imports are left out). */
function importsOf(file: string): SourceImports {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const values: Array<[string, string]> = [];
  const stylesheets: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const from = node.moduleSpecifier.text;
      const clause = node.importClause;
      if (from.endsWith('.css') && !clause) stylesheets.push(from);
      if (from.startsWith('@mantine/') && clause && !clause.isTypeOnly) {
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) {
            if (!element.isTypeOnly) values.push([from, (element.propertyName ?? element.name).text]);
          }
        } else if (bindings || clause.name) {
          values.push([from, '*']);
        }
      }
    }
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0]) &&
      node.arguments[0].text.startsWith('@mantine/')
    ) {
      values.push([node.arguments[0].text, '*']);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { file, values, stylesheets };
}

/** A package's folder as Node finds it from `fromDir` (node_modules upwards), symlinks resolved. */
function packageDir(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (looked from ${fromDir})`);
  }
}

/** `import { a, b as c } from "x"` / `export { a } from "x"` / `import "x"` of an ES module. */
const MODULE_IMPORT =
  /(?:^|\n)\s*(?:import|export)\s*(?:(\{[^}]*\}|[\w$]+|\*\s+as\s+[\w$]+)\s*from\s*)?["']([^"']+)["']/g;

function namedList(list: string): Array<[string, string]> {
  return list
    .replace(/[{}]/g, '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part): [string, string] => {
      const [imported = '', local = imported] = part.split(/\s+as\s+/);
      return [imported.trim(), local.trim()];
    });
}

/** A package's exported names → the module of esm/ that defines each (read from esm/index.mjs). */
const exportsCache = new Map<string, Map<string, string>>();
function packageExports(dir: string): Map<string, string> {
  const cached = exportsCache.get(dir);
  if (cached) return cached;
  const index = join(dir, 'esm', 'index.mjs');
  const code = readFileSync(index, 'utf8');
  const locals = new Map<string, string>();
  for (const match of code.matchAll(MODULE_IMPORT)) {
    const [, names, from] = match;
    if (!names?.startsWith('{') || !from?.startsWith('.')) continue;
    for (const [, local] of namedList(names)) locals.set(local, resolve(dirname(index), from));
  }
  const exported = new Map<string, string>();
  for (const [, list] of code.matchAll(/(?:^|\n)export\s*(\{[^}]*\})\s*;/g)) {
    for (const [local, name] of namedList(list ?? '')) {
      const file = locals.get(local);
      if (file) exported.set(name, file);
    }
  }
  exportsCache.set(dir, exported);
  return exported;
}

/** What the walk found: Mantine's class names the dashboard can render, and where each came from. */
export interface MantineClasses {
  /** class → the first `package name` import of src/ through which it was reached. */
  classes: Map<string, string>;
  /** The `@mantine/*` values imported in src/, as `package name`. */
  imported: string[];
}

/** Walks from every Mantine value that src/ imports to every CSS module class it can render. */
export function mantineClassesOfSource(): MantineClasses {
  const classes = new Map<string, string>();
  const seen = new Set<string>();
  const imported = new Set<string>();
  const walk = (start: string, via: string): void => {
    const pending = [start];
    for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
      if (seen.has(file)) continue;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      if (file.endsWith('.module.mjs')) {
        for (const [, name] of code.matchAll(/"[\w-]+":\s*"([^"]+)"/g)) {
          for (const className of (name ?? '').split(/\s+/)) if (!classes.has(className)) classes.set(className, via);
        }
      }
      for (const [, names, from] of code.matchAll(MODULE_IMPORT)) {
        if (!from) continue;
        if (from.startsWith('.')) {
          pending.push(resolve(dirname(file), from));
        } else if (from.startsWith('@mantine/')) {
          const dir = packageDir(from, dirname(file));
          if (!existsSync(join(dir, 'esm', 'index.mjs'))) continue;
          const exported = packageExports(dir);
          const wanted = names?.startsWith('{') ? namedList(names).map(([name]) => name) : [...exported.keys()];
          for (const name of wanted) {
            const target = exported.get(name);
            if (target) pending.push(target);
          }
        }
      }
    }
  };
  for (const { values } of sourceFiles(SRC_DIR).map(importsOf)) {
    for (const [from, name] of values) {
      const dir = packageDir(from, SRC_DIR);
      if (!existsSync(join(dir, 'esm', 'index.mjs'))) continue;
      const exported = packageExports(dir);
      const names = name === '*' ? [...exported.keys()] : [name];
      for (const each of names) {
        const file = exported.get(each);
        if (!file) throw new Error(`${from} exports no ${each} (esm/index.mjs)`);
        imported.add(`${from} ${each}`);
        walk(file, `${from} ${each}`);
      }
    }
  }
  return { classes, imported: [...imported].sort() };
}

/** `.m_xxxx` class selectors in a stylesheet. */
function classesIn(css: string): Set<string> {
  return new Set([...css.matchAll(/\.(m_[0-9a-f]+)\b/g)].flatMap(([, name]) => (name ? [name] : [])));
}

/** A stylesheet imported in src/, as a file: a package path through its `exports`, or relative. */
function stylesheetFile(specifier: string, importer: string): string {
  if (specifier.startsWith('.')) return resolve(dirname(importer), specifier);
  const [scope = '', name = '', ...rest] = specifier.split('/');
  // Mantine's packages export their stylesheets as they lie: "./styles.css", "./styles/*".
  return join(packageDir(`${scope}/${name}`, SRC_DIR), ...rest);
}

/** @mantine/core's stylesheets (styles/*.css, not the .layer.css copies), in the order of its styles.css. */
export function coreStylesheetsInOrder(): string[] {
  const dir = packageDir('@mantine/core', SRC_DIR);
  const all = readFileSync(join(dir, 'styles.css'), 'utf8');
  return readdirSync(join(dir, 'styles'))
    .filter((file) => file.endsWith('.css') && !file.endsWith('.layer.css'))
    .map((file): [number, string] => [all.indexOf(readFileSync(join(dir, 'styles', file), 'utf8').trim()), file])
    .sort(([a], [b]) => a - b)
    .map(([position, file]) => {
      if (position < 0) throw new Error(`@mantine/core/styles/${file} is not part of styles.css`);
      return file;
    });
}

export interface StylesheetReport {
  /** `@mantine/core/styles/X.css` files that some rendered class needs and no import brings, each with a reason. */
  missing: Map<string, string>;
  /** Classes Mantine styles that no stylesheet of the package defines at all (should stay empty). */
  unplaced: string[];
  /** Per src file: the @mantine/core stylesheets it imports, in its order. */
  coreImports: Array<{ file: string; stylesheets: string[] }>;
  /** Whether src/ imports the whole `@mantine/core/styles.css` (or its layer copy). */
  wholeCore: boolean;
  /** The core stylesheets the walk says are needed, in Mantine's order. */
  needed: string[];
}

export function mantineStylesheetReport(): StylesheetReport {
  const { classes } = mantineClassesOfSource();
  const sources = sourceFiles(SRC_DIR).map(importsOf);
  const defined = new Set<string>();
  const coreImports: StylesheetReport['coreImports'] = [];
  let wholeCore = false;
  for (const { file, stylesheets } of sources) {
    const core: string[] = [];
    for (const specifier of stylesheets) {
      for (const name of classesIn(readFileSync(stylesheetFile(specifier, file), 'utf8'))) defined.add(name);
      if (/^@mantine\/core\/styles(\.layer)?\.css$/.test(specifier)) wholeCore = true;
      const one = /^@mantine\/core\/styles\/(.+\.css)$/.exec(specifier)?.[1];
      if (one) core.push(one);
    }
    if (core.length > 0) coreImports.push({ file: relative(WEB_DIR, file), stylesheets: core });
  }
  // Which file of @mantine/core/styles/ styles each class; what the other packages style (their
  // one styles.css each), for telling a class Mantine never styles from one that is missing.
  const coreDir = packageDir('@mantine/core', SRC_DIR);
  const ordered = coreStylesheetsInOrder();
  const coreFileOf = new Map<string, string>();
  for (const file of ordered) {
    for (const name of classesIn(readFileSync(join(coreDir, 'styles', file), 'utf8'))) {
      if (!coreFileOf.has(name)) coreFileOf.set(name, file);
    }
  }
  const styledElsewhere = new Set<string>();
  for (const dir of readdirSync(join(coreDir, '..'))) {
    const styles = join(coreDir, '..', dir, 'styles.css');
    if (dir !== 'core' && existsSync(styles))
      for (const name of classesIn(readFileSync(styles, 'utf8'))) styledElsewhere.add(name);
  }
  const missing = new Map<string, string>();
  const unplaced: string[] = [];
  const neededFiles = new Set(['baseline.css', 'default-css-variables.css', 'global.css']);
  for (const [name, via] of classes) {
    const file = coreFileOf.get(name);
    if (file) neededFiles.add(file);
    if (defined.has(name)) continue;
    if (file) {
      if (!missing.has(file)) missing.set(file, `${via} renders .${name}`);
    } else if (styledElsewhere.has(name)) {
      unplaced.push(`${name} (${via}): its package's styles.css is not imported`);
    }
  }
  for (const file of ['baseline.css', 'default-css-variables.css', 'global.css']) {
    if (!wholeCore && !coreImports.some(({ stylesheets }) => stylesheets.includes(file))) {
      missing.set(file, 'every Mantine component needs the global styles');
    }
  }
  return { missing, unplaced, coreImports, wholeCore, needed: ordered.filter((file) => neededFiles.has(file)) };
}
