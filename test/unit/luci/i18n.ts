/**
 * The translatable strings of luci-app-wanbond as LuCI's build/i18n-scan.pl finds them: the first argument of
 * `_()` (and the 2nd/3rd of `N_()`) in the JS files, plus "title"/"description" in menu.d and acl.d JSON. Used by
 * the tests to check po/templates/wanbond.pot, and by `makePot` to regenerate it.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { APP_DIR, filesUnder } from './loader.js';

export interface Msg {
  id: string;
  refs: string[];
}

const LITERAL = String.raw`'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"`;

function unescapeJs(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
    if (e[0] === 'u' && e.length === 5) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (e[0] === 'x' && e.length === 3) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[e] ?? e;
  });
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Calls of `_(` whose first argument is not a plain string literal: xgettext would miss them. */
export function nonLiteralCalls(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?<![\w$.])_\(\s*(?!['"])/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(`${relative(APP_DIR, file)}:${lineOf(text, m.index)}`);
  return out;
}

export function scan(): Map<string, Msg> {
  const msgs = new Map<string, Msg>();
  const add = (id: string, ref: string) => {
    const m = msgs.get(id) ?? { id, refs: [] };
    m.refs.push(ref);
    msgs.set(id, m);
  };
  const tr = new RegExp(String.raw`(?<![\w$.])_\(\s*(?:${LITERAL})\s*[,)]`, 'g');
  const ntr = new RegExp(String.raw`(?<![\w$.])N_\(\s*[^,]+,\s*(?:${LITERAL})\s*,\s*(?:${LITERAL})`, 'g');
  for (const file of filesUnder(join(APP_DIR, 'htdocs'), '.js')) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(APP_DIR, file);
    for (let m = tr.exec(text); m; m = tr.exec(text))
      add(unescapeJs(m[1] ?? m[2] ?? ''), `${rel}:${lineOf(text, m.index)}`);
    for (let m = ntr.exec(text); m; m = ntr.exec(text)) {
      add(unescapeJs(m[1] ?? m[2] ?? ''), `${rel}:${lineOf(text, m.index)}`);
      add(unescapeJs(m[3] ?? m[4] ?? ''), `${rel}:${lineOf(text, m.index)}`);
    }
  }
  for (const dir of ['root/usr/share/luci/menu.d', 'root/usr/share/rpcd/acl.d']) {
    for (const file of filesUnder(join(APP_DIR, dir), '.json')) {
      const text = readFileSync(file, 'utf8');
      const re = /"(?:title|description)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
      for (let m = re.exec(text); m; m = re.exec(text))
        add(JSON.parse(`"${m[1]}"`) as string, `${relative(APP_DIR, file)}:${lineOf(text, m.index)}`);
    }
  }
  return msgs;
}

function poEscape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

function poUnescape(s: string): string {
  return s.replace(/\\(.)/g, (_m, e: string) => ({ n: '\n', t: '\t' })[e as 'n' | 't'] ?? e);
}

/** The msgids of a .pot/.po file (the empty header msgid left out). */
export function potIds(text: string): string[] {
  const ids: string[] = [];
  const re = /^msgid "((?:[^"\\]|\\.)*)"((?:\n"(?:[^"\\]|\\.)*")*)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const cont = (m[2] ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(1, -1))
      .join('');
    const id = poUnescape((m[1] ?? '') + cont);
    if (id !== '') ids.push(id);
  }
  return ids;
}

/** The .pot text for the current sources, in i18n-scan.pl's layout (sorted by msgid, references first). */
export function makePot(): string {
  const msgs = [...scan().values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const body = msgs.map(
    (m) =>
      `${m.refs.map((r) => `#: applications/luci-app-wanbond/${r}`).join('\n')}\nmsgid "${poEscape(m.id)}"\nmsgstr ""\n`,
  );
  return `msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8"\n\n${body.join('\n')}`;
}

export function readPot(): string {
  return readFileSync(join(APP_DIR, 'po/templates/wanbond.pot'), 'utf8');
}
