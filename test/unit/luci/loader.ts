/**
 * Loads luci-app-wanbond's client-side modules the way LuCI's `L.require` does (luci.js `compileClass`): read the
 * `'require NAME [as ALIAS]'` directives at the top of the file, wrap the source in a factory
 * `function (window, document, L, <aliases>) { ... }`, call it with the dependencies, and instantiate the class the
 * factory returns. `baseclass`, `rpc` and the translation function are small fakes; `wanbond.*` dependencies are the
 * real files. That way the exact files shipped in the ipk are the ones under test.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

export const APP_DIR = fileURLToPath(new URL('../../../luci-app-wanbond/', import.meta.url));
export const RESOURCES = join(APP_DIR, 'htdocs/luci-static/resources');

export interface Directive {
  name: string;
  alias: string;
}

/** Port of the directive scanner in luci.js: strings at the top until the first one that is not a directive. */
export function directives(source: string): Directive[] {
  const requireMatch = /^require[ \t]+(\S+)(?:[ \t]+as[ \t]+([a-zA-Z_]\S*))?$/;
  const strictMatch = /^use[ \t]+strict$/;
  const out: Directive[] = [];
  let off = -1;
  let prev = -1;
  let quote = -1;
  let comment = -1;
  let esc = false;
  for (let i = 0; i < source.length; i++) {
    const chr = source.charCodeAt(i);
    if (esc) {
      esc = false;
    } else if (comment !== -1) {
      if ((comment === 47 && chr === 10) || (comment === 42 && prev === 42 && chr === 47)) comment = -1;
    } else if ((chr === 42 || chr === 47) && prev === 47) {
      comment = chr;
    } else if (chr === 92) {
      esc = true;
    } else if (chr === quote) {
      const s = source.substring(off, i);
      const m = requireMatch.exec(s);
      if (m) {
        const name = m[1] as string;
        out.push({ name, alias: m[2] ?? name.replace(/[^a-zA-Z0-9_]/g, '_') });
      } else if (!strictMatch.exec(s)) {
        break;
      }
      off = -1;
      quote = -1;
    } else if (quote === -1 && (chr === 34 || chr === 39)) {
      off = i + 1;
      quote = chr;
    }
    prev = chr;
  }
  return out;
}

/** The file LuCI fetches for a class name: `wanbond.format` -> resources/wanbond/format.js. */
export function fileOf(name: string): string {
  return join(RESOURCES, `${name.replace(/\./g, '/')}.js`);
}

/** Wrap a LuCI class file the way luci.js does; throws a SyntaxError naming the file when it does not parse. */
export function compile(file: string): vm.Script {
  const source = readFileSync(file, 'utf8');
  const args = directives(source)
    .map((d) => `, ${d.alias}`)
    .join('');
  return new vm.Script(`(function(window, document, L, _, N_${args}) { ${source}\n})`, { filename: file });
}

type AnyClass = new () => Record<string, unknown>;

/** LuCI's baseclass, reduced to what the modules use: `extend(props)` returns a constructor. */
export const fakeBaseclass = {
  extend(props: Record<string, unknown>): AnyClass {
    const C = function (this: Record<string, unknown>) {} as unknown as AnyClass;
    Object.assign(C.prototype, props);
    return C;
  },
};

export interface Declared {
  object: string;
  method: string;
  params: string[];
}

/** A fake `rpc` whose `declare` records what was declared and answers with `reply(object, method, args)`. */
export function fakeRpc(reply: (object: string, method: string, args: unknown[]) => unknown = () => ({})) {
  const declared: Declared[] = [];
  return {
    declared,
    declare(o: { object: string; method: string; params?: string[] }) {
      declared.push({ object: o.object, method: o.method, params: o.params ?? [] });
      return (...args: unknown[]) => Promise.resolve().then(() => reply(o.object, o.method, args));
    },
  };
}

/** Identity translation, like LuCI with no catalog loaded; N_ picks singular/plural like LuCI's. */
const tr = (s: string) => s;
const ntr = (n: number, s: string, p: string) => (n === 1 ? s : p);

// biome-ignore lint/suspicious/noExplicitAny: LuCI modules are untyped JS; tests assert on their behaviour.
export type LuciModule = Record<string, any>;

/** Load `wanbond.*` class `name` with its dependencies; `fakes` supplies the non-wanbond ones (baseclass, rpc...). */
export function loadModule(
  name: string,
  fakes: Record<string, unknown> = {},
  cache: Map<string, LuciModule> = new Map(),
): LuciModule {
  const cached = cache.get(name);
  if (cached) return cached;
  const file = fileOf(name);
  const deps = directives(readFileSync(file, 'utf8')).map((d) => {
    if (d.name === 'baseclass') return fakes.baseclass ?? fakeBaseclass;
    if (d.name in fakes) return fakes[d.name];
    if (d.name.startsWith('wanbond.')) return loadModule(d.name, fakes, cache);
    throw new Error(`${relative(APP_DIR, file)}: no fake for 'require ${d.name}'`);
  });
  const factory = compile(file).runInThisContext() as (...a: unknown[]) => AnyClass;
  const Class = factory(globalThis, undefined, {}, tr, ntr, ...deps);
  const instance = new Class() as LuciModule;
  cache.set(name, instance);
  return instance;
}

/** Every file under dir (recursively) whose name ends with ext. */
export function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, ext));
    else if (p.endsWith(ext)) out.push(p);
  }
  return out.sort();
}
