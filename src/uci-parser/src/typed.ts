import { findOption, type UciPackage, type UciSection } from './model.js';

/** Words UCI tools accept as true / false (OpenWrt's `config_get_bool`, LuCI's `uci.get_bool`). */
export const UCI_TRUE = ['1', 'yes', 'on', 'true', 'enabled'] as const;
export const UCI_FALSE = ['0', 'no', 'off', 'false', 'disabled'] as const;

/** A UCI boolean, case-insensitive; undefined when the word is neither true nor false. */
export function parseUciBoolean(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if ((UCI_TRUE as readonly string[]).includes(v)) return true;
  if ((UCI_FALSE as readonly string[]).includes(v)) return false;
  return undefined;
}

export function sectionsByType(p: UciPackage, type: string): UciSection[] {
  return p.sections.filter((s) => s.type === type);
}

export function sectionByName(p: UciPackage, name: string): UciSection | undefined {
  return p.section(name);
}

/** A string option's value; a list gives its items joined by spaces (as `uci get` would print them). */
export function optionString(s: UciSection, name: string): string | undefined {
  const o = findOption(s, name);
  if (!o) return undefined;
  return Array.isArray(o.value) ? o.value.join(' ') : o.value;
}

/** A list's items; a plain option counts as a one-item list (as OpenWrt's `config_list_foreach` does). */
export function optionList(s: UciSection, name: string): string[] {
  const o = findOption(s, name);
  if (!o) return [];
  return Array.isArray(o.value) ? [...o.value] : [o.value];
}

/** A boolean option; `fallback` when absent or not a UCI boolean word. */
export function optionBoolean(s: UciSection, name: string, fallback: boolean): boolean {
  const v = optionString(s, name);
  return v === undefined ? fallback : (parseUciBoolean(v) ?? fallback);
}

/** Line of an option (or of its section when the option is absent), for error messages. */
export function lineOf(s: UciSection, name?: string): number | undefined {
  if (name !== undefined) {
    const o = findOption(s, name);
    if (o?.line !== undefined) return o.line;
  }
  return s.line;
}
