/**
 * The scenario files' syntax: INI with `[kind name]` sections, `key = value` lines, `#`/`;` comments. Tiny on
 * purpose, and every entry keeps its line number so errors can say file:line.
 */

export interface IniEntry {
  key: string;
  value: string;
  line: number;
}

export interface IniSection {
  kind: string;
  name: string;
  line: number;
  entries: IniEntry[];
}

export class IniError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'IniError';
  }
}

export function parseIni(text: string, file = '<scenario>'): IniSection[] {
  const sections: IniSection[] = [];
  let current: IniSection | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = stripComment(lines[i] ?? '').trim();
    if (line === '') continue;
    if (line.startsWith('[')) {
      const m = /^\[\s*([A-Za-z][\w-]*)(?:\s+([\w.-]+))?\s*\]$/.exec(line);
      if (!m) throw new IniError(file, lineNo, `bad section header '${line}' (want [kind] or [kind name])`);
      current = { kind: m[1]!, name: m[2] ?? '', line: lineNo, entries: [] };
      sections.push(current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new IniError(file, lineNo, `expected 'key = value', got '${line}'`);
    if (!current) throw new IniError(file, lineNo, 'a key before the first [section]');
    const key = line.slice(0, eq).trim();
    if (!/^[A-Za-z][\w-]*$/.test(key)) throw new IniError(file, lineNo, `bad key '${key}'`);
    if (current.entries.some((e) => e.key === key)) {
      throw new IniError(
        file,
        lineNo,
        `'${key}' given twice in [${current.kind}${current.name ? ` ${current.name}` : ''}]`,
      );
    }
    current.entries.push({ key, value: line.slice(eq + 1).trim(), line: lineNo });
  }
  return sections;
}

/** A comment starts at `#` or `;` at the line start or after whitespace, so values like `a#b` stay whole. */
function stripComment(line: string): string {
  const m = /(^|\s)[#;]/.exec(line);
  return m ? line.slice(0, m.index) : line;
}
