import { DEFAULT_CONF2DIR, DEFAULT_CONFDIR, UciContext } from './context.js';
import { UCI_ERR_NOTFOUND, UCI_ERR_UNKNOWN, UciError, UciParseError, uciErrorText } from './errors.js';
import {
  scanInt,
  strtoulInt,
  uciAddList,
  uciAddSection,
  uciDelete,
  uciDelList,
  uciRename,
  uciReorder,
  uciSet,
} from './ops.js';
import type { UciPtr } from './ptr.js';
import { exportPackage, formatChanges, formatValue, showOption, showPackage, showSection } from './serialize.js';

/**
 * A re-implementation of OpenWrt's `uci` command line (cli.c) over this library: same commands, options, output
 * and exit codes, so scripts written for a router run unchanged on a host without libuci.
 */

export interface UciCliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface UciCliDefaults {
  confdir?: string;
  conf2dir?: string | null;
  savedir?: string;
}

const OPTSTRING = 'c:C:d:f:LmnNp:P:qsSt:X';

function usage(app: string): string {
  return (
    `Usage: ${app} [<options>] <command> [<arguments>]\n\n` +
    'Commands:\n' +
    '\tbatch\n' +
    '\texport     [<config>]\n' +
    '\timport     [<config>]\n' +
    '\tchanges    [<config>]\n' +
    '\tcommit     [<config>]\n' +
    '\tadd        <config> <section-type>\n' +
    '\tadd_list   <config>.<section>.<option>=<string>\n' +
    '\tdel_list   <config>.<section>.<option>=<string>\n' +
    '\tshow       [<config>[.<section>[.<option>]]]\n' +
    '\tget        <config>.<section>[.<option>]\n' +
    '\tset        <config>.<section>[.<option>]=<value>\n' +
    '\tdelete     <config>[.<section>[[.<option>][=<id>]]]\n' +
    '\trename     <config>.<section>[.<option>]=<name>\n' +
    '\trevert     <config>[.<section>[.<option>]]\n' +
    '\treorder    <config>.<section>=<position>\n' +
    '\n' +
    'Options:\n' +
    `\t-c <path>  set the search path for config files (default: ${DEFAULT_CONFDIR})\n` +
    `\t-C <path>  set the search path for config override files (default: ${DEFAULT_CONF2DIR})\n` +
    '\t-d <str>   set the delimiter for list values in uci show\n' +
    '\t-f <file>  use <file> as input instead of stdin\n' +
    '\t-m         when importing, merge data into an existing package\n' +
    '\t-n         name unnamed sections on export (default)\n' +
    "\t-N         don't name unnamed sections\n" +
    '\t-p <path>  add a search path for config change files\n' +
    '\t-P <path>  add a search path for config change files and use as default\n' +
    '\t-t <path>  set save path for config change files\n' +
    "\t-q         quiet mode (don't print error messages)\n" +
    '\t-s         force strict mode (stop on parser errors, default)\n' +
    '\t-S         disable strict mode\n' +
    "\t-X         do not use extended syntax on 'show'\n" +
    '\n'
  );
}

interface Parsed {
  opts: [string, string | undefined][];
  args: string[];
  bad?: string;
}

/** GNU getopt with argument permutation (glibc's default): options may follow the command. */
function getopt(argv: string[], app: string, io: UciCliIO): Parsed {
  const opts: [string, string | undefined][] = [];
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      continue;
    }
    for (let k = 1; k < a.length; k++) {
      const c = a[k]!;
      const at = OPTSTRING.indexOf(c);
      if (c === ':' || at < 0) {
        io.stderr(`${app}: invalid option -- '${c}'\n`);
        return { opts, args, bad: c };
      }
      if (OPTSTRING[at + 1] === ':') {
        let value = a.slice(k + 1);
        if (value === '') {
          if (i + 1 >= argv.length) {
            io.stderr(`${app}: option requires an argument -- '${c}'\n`);
            return { opts, args, bad: c };
          }
          value = argv[++i]!;
        }
        opts.push([c, value]);
        break;
      }
      opts.push([c, undefined]);
    }
  }
  return { opts, args };
}

type Cmd = 'get' | 'set' | 'add_list' | 'del_list' | 'del' | 'rename' | 'revert' | 'reorder';
type PkgCmd = 'show' | 'changes' | 'export' | 'commit';

/** Run `uci ARGS...`; argv[0] is the program name used in messages ("uci"). Returns the exit code. */
export function runUciCli(argv: string[], io: UciCliIO, defaults: UciCliDefaults = {}): number {
  const app = argv[0] ?? 'uci';
  const ctx = new UciContext({
    ...(defaults.confdir !== undefined ? { confdir: defaults.confdir } : {}),
    ...(defaults.conf2dir !== undefined ? { conf2dir: defaults.conf2dir } : {}),
    ...(defaults.savedir !== undefined ? { savedir: defaults.savedir } : {}),
  });
  let delimiter = ' ';
  let quiet = false;
  let noCommit = false;
  let showExt = true;
  let exportName = false;
  // uci_get_errorstr keeps its detail text in a static buffer and appends "\n" on every call.
  let errorInfo = '';

  const perror = (err: unknown, prefix = true): void => {
    if (quiet && prefix) return;
    let code: number = UCI_ERR_UNKNOWN;
    if (err instanceof UciError) code = err.code;
    if (err instanceof UciParseError) errorInfo = ` (${err.reason}) at line ${err.line}, byte ${err.byte}`;
    errorInfo += '\n';
    io.stderr(`${prefix ? `${app}: ` : ''}${uciErrorText(code)}${errorInfo}`);
  };
  // `uci -S`: libuci prints each skipped line's error itself, without the program name.
  ctx.onParseError = (err) => perror(err, false);

  const parsed = getopt(argv.slice(1), app, io);
  if (parsed.bad !== undefined) {
    io.stderr(usage(app));
    return 0;
  }
  for (const [c, v] of parsed.opts) {
    switch (c) {
      case 'c':
        ctx.confdir = v!;
        break;
      case 'C':
        ctx.conf2dir = v === '' ? null : v!;
        break;
      case 'd':
        delimiter = v!;
        break;
      case 'f':
      case 'm':
        break;
      case 's':
        ctx.strict = true;
        break;
      case 'S':
        ctx.strict = false;
        break;
      case 'n':
        exportName = true;
        break;
      case 'N':
        exportName = false;
        break;
      case 'p':
        try {
          ctx.addDeltaPath(v!);
        } catch {}
        break;
      case 'P':
        ctx.setSavedir(v!);
        noCommit = true;
        break;
      case 'q':
        quiet = true;
        break;
      case 't':
        ctx.setSavedir(v!);
        break;
      case 'X':
        showExt = false;
        break;
      default:
        io.stderr(usage(app));
        return 0;
    }
  }
  const args = parsed.args;
  if (args.length < 1) {
    io.stderr(usage(app));
    return 0;
  }

  const lookup = (tuple: string): UciPtr | undefined => {
    try {
      return ctx.lookup(tuple, true);
    } catch (err) {
      perror(err);
      return undefined;
    }
  };

  const packageCmd = (cmd: PkgCmd, tuple: string): number => {
    const ptr = lookup(tuple);
    if (!ptr) return 1;
    const p = ptr.p!;
    try {
      if (cmd === 'changes') io.stdout(formatChanges(p.name, p.savedDelta));
      else if (cmd === 'commit') {
        if (!noCommit) ctx.commit(p);
      } else if (cmd === 'export') io.stdout(exportPackage(p, { header: true, nameAnonymous: exportName }));
      else {
        if (!ptr.complete) {
          perror(new UciError(UCI_ERR_NOTFOUND));
          return 1;
        }
        if (ptr.o) io.stdout(showOption(p, ptr.s!, ptr.o, ptr.s!.name, delimiter));
        else if (ptr.s) io.stdout(showSection(p, ptr.s, ptr.s.name, delimiter));
        else io.stdout(showPackage(p, { extended: showExt, delimiter }));
      }
    } catch (err) {
      perror(err);
      return 1;
    }
    return 0;
  };

  const doPackageCmd = (cmd: PkgCmd, rest: string[]): number => {
    if (rest.length > 1) return 255;
    if (rest.length === 1) return packageCmd(cmd, rest[0]!);
    let names: string[];
    try {
      names = ctx.listConfigs();
    } catch (err) {
      perror(err);
      return 1;
    }
    for (const name of names) packageCmd(cmd, name);
    return 0;
  };

  const doAdd = (rest: string[]): number => {
    if (rest.length !== 2) return 255;
    try {
      const p = ctx.load(rest[0]!);
      const s = uciAddSection(p, rest[1]!);
      ctx.save(p);
      io.stdout(`${s.name}\n`);
      return 0;
    } catch (err) {
      perror(err);
      return err instanceof UciError ? err.code : UCI_ERR_UNKNOWN;
    }
  };

  const doSectionCmd = (cmd: Cmd, rest: string[]): number => {
    if (rest.length !== 1) return 255;
    const ptr = lookup(rest[0]!);
    if (!ptr) return 1;
    if (ptr.value !== undefined && (cmd === 'get' || cmd === 'revert')) return 1;
    try {
      switch (cmd) {
        case 'get':
          if (!ptr.complete) {
            perror(new UciError(UCI_ERR_NOTFOUND));
            return 1;
          }
          if (ptr.o) io.stdout(`${formatValue(ptr.o, false, delimiter)}\n`);
          else if (ptr.s) io.stdout(`${ptr.s.type}\n`);
          return 0;
        case 'revert':
          try {
            ctx.revert(ptr);
          } catch {}
          return 0;
        case 'rename':
          uciRename(ptr);
          break;
        case 'set':
          uciSet(ptr);
          break;
        case 'add_list':
          uciAddList(ptr);
          break;
        case 'del_list':
          uciDelList(ptr);
          break;
        case 'reorder':
          if (!ptr.s || ptr.value === undefined) {
            perror(new UciError(UCI_ERR_NOTFOUND));
            return 1;
          }
          uciReorder(ptr.p!, ptr.s, strtoulInt(ptr.value));
          break;
        case 'del':
          // sscanf("%d") is EOF (not 0) on an empty or blank value, which uci lets through.
          if (ptr.value !== undefined && ptr.value.trim() !== '' && scanInt(ptr.value) === undefined) return 1;
          uciDelete(ptr);
          break;
      }
      ctx.save(ptr.p!);
    } catch (err) {
      perror(err);
      return 1;
    }
    return 0;
  };

  const name = args[0]!.toLowerCase();
  const rest = args.slice(1);
  let ret: number;
  if (name === 'show' || name === 'changes' || name === 'export' || name === 'commit') ret = doPackageCmd(name, rest);
  else if (name === 'get' || name === 'set' || name === 'revert' || name === 'reorder' || name === 'add_list')
    ret = doSectionCmd(name, rest);
  else if (name === 'del_list') ret = doSectionCmd('del_list', rest);
  else if (name === 'ren' || name === 'rename') ret = doSectionCmd('rename', rest);
  else if (name === 'del' || name === 'delete') ret = doSectionCmd('del', rest);
  else if (name === 'add') ret = doAdd(rest);
  else if (name === 'help') {
    io.stderr(usage(app));
    ret = 0;
  } else if (name === 'batch' || name === 'import') {
    io.stderr(`${app}: '${name}' is not supported by this implementation\n`);
    ret = 1;
  } else ret = 255;
  if (ret === 255) io.stderr(usage(app));
  return ret;
}
