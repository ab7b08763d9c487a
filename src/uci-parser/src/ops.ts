import { UCI_ERR_INVAL, UCI_ERR_NOTFOUND, UciError } from './errors.js';
import { anonymousSectionName } from './hash.js';
import { type DeltaCommand, findOption, type UciPackage, type UciSection } from './model.js';
import type { UciPtr } from './ptr.js';
import { isValidType } from './validate.js';

/**
 * The editing operations of libuci (list.c) with its exact semantics, including what gets recorded as delta. Each
 * takes a resolved UciPtr (see lookupInPackage). `internal` is libuci's UCI_INTERNAL: apply without recording (used
 * while replaying delta files).
 */

function record(p: UciPackage, internal: boolean, cmd: DeltaCommand, section: string, option?: string, value?: string) {
  if (internal || !p.hasDelta) return;
  const entry: { cmd: DeltaCommand; section: string; option?: string; value?: string } = { cmd, section };
  if (option !== undefined) entry.option = option;
  if (value !== undefined) entry.value = value;
  p.delta.push(entry);
}

function pkgOf(ptr: UciPtr): UciPackage {
  if (!ptr.p) throw new UciError(UCI_ERR_INVAL);
  return ptr.p;
}

/** sscanf("%d"): leading integer of the string, or undefined when there is none. */
export function scanInt(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) : undefined;
}

/** uci_set: set an option, create a named section / change its type; an empty value deletes what exists. */
export function uciSet(ptr: UciPtr, internal = false): void {
  const p = pkgOf(ptr);
  if (ptr.value === undefined) throw new UciError(UCI_ERR_INVAL);
  if (!(ptr.s || (ptr.option === undefined && ptr.section !== undefined))) throw new UciError(UCI_ERR_INVAL);
  if (ptr.option === undefined && ptr.value !== '' && !isValidType(ptr.value)) throw new UciError(UCI_ERR_INVAL);
  if (!ptr.o && ptr.s && ptr.option !== undefined) {
    const o = findOption(ptr.s, ptr.option);
    if (o) ptr.o = o;
  }
  const value = ptr.value;
  if (value === '') {
    if (!ptr.complete) return;
    // libuci resets its "internal" flag on entering uci_set, so this delete is recorded even during a replay.
    uciDelete(ptr, false);
    return;
  }
  if (!ptr.o && ptr.option !== undefined) {
    ptr.o = { name: ptr.option, value };
    ptr.s!.options.push(ptr.o);
  } else if (!ptr.s && ptr.section !== undefined) {
    p.nSection++;
    ptr.s = { name: ptr.section, type: value, anonymous: false, options: [] };
    p.sections.push(ptr.s);
  } else if (ptr.o && ptr.option !== undefined) {
    if (typeof ptr.o.value === 'string' && ptr.o.value === value) return;
    const s = ptr.s!;
    const next = { name: ptr.o.name, value };
    s.options[s.options.indexOf(ptr.o)] = next;
    ptr.o = next;
  } else if (ptr.s && ptr.section !== undefined) {
    if (ptr.s.type === value) return;
    // libuci copies a type of the same length in place; otherwise it reallocates the section under its current
    // name, which makes an anonymous section a named one.
    if (ptr.s.type.length !== value.length) ptr.s.anonymous = false;
    ptr.s.type = value;
  } else throw new UciError(UCI_ERR_INVAL);
  record(p, internal, 'change', ptr.section!, ptr.option, value);
}

/** uci_delete: remove an option or section; with a numeric value on a list, remove that list item. */
export function uciDelete(ptr: UciPtr, internal = false): void {
  if (!ptr.complete) throw new UciError(UCI_ERR_NOTFOUND);
  const p = pkgOf(ptr);
  const s = ptr.s;
  if (!s) throw new UciError(UCI_ERR_INVAL);
  const o = ptr.o;
  if (o && Array.isArray(o.value) && ptr.value) {
    let index = scanInt(ptr.value);
    if (index === undefined) return;
    for (let i = 0; i < o.value.length; i++) {
      if (index === 0) {
        record(p, internal, 'remove', ptr.section!, ptr.option, ptr.value);
        o.value.splice(i, 1);
        return;
      }
      index--;
    }
    return;
  }
  record(p, internal, 'remove', ptr.section!, ptr.option);
  if (o) {
    s.options.splice(s.options.indexOf(o), 1);
    delete ptr.o;
  } else {
    p.sections.splice(p.sections.indexOf(s), 1);
    delete ptr.s;
  }
}

/** uci_add_list: append to a list, turning a string option into a list that starts with the old value. */
export function uciAddList(ptr: UciPtr, internal = false): void {
  const p = pkgOf(ptr);
  const s = ptr.s;
  if (!s || ptr.value === undefined) throw new UciError(UCI_ERR_INVAL);
  const value = ptr.value;
  if (ptr.option === undefined) {
    // libuci adds a nameless list here and records `|pkg.sec='v'`, a line its own loader later rejects; the
    // nameless option cannot be shown or exported, so only the delta is reproduced.
    record(p, internal, 'list_add', ptr.section!, undefined, value);
    return;
  }
  if (!ptr.o) {
    ptr.o = { name: ptr.option, value: [value] };
    s.options.push(ptr.o);
  } else if (typeof ptr.o.value === 'string') {
    const next = { name: ptr.o.name, value: [ptr.o.value, value] };
    s.options[s.options.indexOf(ptr.o)] = next;
    ptr.o = next;
  } else ptr.o.value.push(value);
  record(p, internal, 'list_add', ptr.section!, ptr.option, value);
}

/** uci_del_list: remove every item equal to the value (no-op unless the option is a list). */
export function uciDelList(ptr: UciPtr, internal = false): void {
  const p = pkgOf(ptr);
  if (!ptr.s || ptr.value === undefined) throw new UciError(UCI_ERR_INVAL);
  const o = ptr.o;
  if (!o || ptr.option === undefined || !Array.isArray(o.value)) return;
  record(p, internal, 'list_del', ptr.section!, ptr.option, ptr.value);
  const value = ptr.value;
  o.value = o.value.filter((item) => item !== value);
}

/** uci_rename: rename an option or a section (a renamed anonymous section becomes named). No name check, as in
 * libuci; a delta with an invalid name is ignored when replayed. */
export function uciRename(ptr: UciPtr, internal = false): void {
  if (!ptr.complete) throw new UciError(UCI_ERR_NOTFOUND);
  const p = pkgOf(ptr);
  if (!ptr.s || ptr.value === undefined) throw new UciError(UCI_ERR_INVAL);
  record(p, internal, 'rename', ptr.section!, ptr.option, ptr.value);
  if (ptr.o) ptr.o.name = ptr.value;
  else {
    ptr.s.name = ptr.value;
    ptr.s.anonymous = false;
  }
}

/** strtoul(s, NULL, 10) as libuci passes it on: an `int` (so "-1" means position -1, i.e. the front). */
export function strtoulInt(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(s);
  if (!m) return 0;
  const max = 0xffffffffffffffffn;
  let n = BigInt(m[2]!);
  if (n > max) n = max;
  else if (m[1] === '-') n = -n & max;
  return Number(BigInt.asIntN(32, n));
}

/** uci_reorder_section: move a section to position `pos` (clamped to the end); recorded only if it moved. */
export function uciReorder(p: UciPackage, s: UciSection, pos: number, internal = false): void {
  const from = p.sections.indexOf(s);
  p.sections.splice(from, 1);
  const to = Math.min(Math.max(pos, 0), p.sections.length);
  p.sections.splice(to, 0, s);
  if (to !== from) record(p, internal, 'reorder', s.name, undefined, String(pos));
}

/** uci_add_section: a new anonymous section at the end, named `cfgNNHHHH`. */
export function uciAddSection(p: UciPackage, type: string, internal = false): UciSection {
  p.nSection++;
  const s: UciSection = { name: anonymousSectionName(p.nSection, type), type, anonymous: true, options: [] };
  p.sections.push(s);
  record(p, internal, 'add', s.name, undefined, type);
  return s;
}
