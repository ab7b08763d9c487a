/**
 * Small editing verbs over uci-parser's libuci operations, so changes are recorded as delta entries exactly as
 * `uci set/add_list/del_list/delete` would record them (and can be saved for later or committed).
 */
import {
  lookupInPackage,
  type UciPackage,
  type UciPtr,
  type UciSection,
  uciAddList,
  uciDelete,
  uciDelList,
  uciSet,
} from 'uci-parser';

function ptr(p: UciPackage, section: string, option?: string, value?: string): UciPtr {
  const base: UciPtr = { package: p.name, section, extended: false, complete: false };
  if (option !== undefined) base.option = option;
  if (value !== undefined) base.value = value;
  return lookupInPackage(p, base);
}

/** `uci set pkg.section=type` (named section). */
export function setSection(p: UciPackage, name: string, type: string): void {
  uciSet(ptr(p, name, undefined, type));
}

/** `uci set pkg.section.option=value`. */
export function setOption(p: UciPackage, section: string, option: string, value: string): void {
  uciSet(ptr(p, section, option, value));
}

export function addListItem(p: UciPackage, section: string, option: string, value: string): void {
  uciAddList(ptr(p, section, option, value));
}

export function delListItem(p: UciPackage, section: string, option: string, value: string): void {
  uciDelList(ptr(p, section, option, value));
}

/** `uci delete pkg.section[.option]`; nothing happens when it is not there. */
export function deleteEntry(p: UciPackage, section: string, option?: string): void {
  const x = ptr(p, section, option);
  if (x.complete) uciDelete(x);
}

export function sectionOption(s: UciSection, name: string): string | undefined {
  const o = s.options.find((x) => x.name === name);
  if (!o) return undefined;
  return Array.isArray(o.value) ? o.value.join(' ') : o.value;
}

export function sectionList(s: UciSection, name: string): string[] {
  const o = s.options.find((x) => x.name === name);
  if (!o) return [];
  return Array.isArray(o.value) ? [...o.value] : o.value.split(/\s+/).filter(Boolean);
}
