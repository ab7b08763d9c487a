import { UCI_ERR_INVAL, UCI_ERR_PARSE, UciError } from './errors.js';
import { findOption, type UciOption, type UciPackage, type UciSection } from './model.js';
import { isValidName, isValidPackageName, isValidText, isValidType } from './validate.js';

/** libuci's `struct uci_ptr`: a parsed `package[.section[.option]][=value]` and what it resolved to. */
export interface UciPtr {
  package: string;
  section?: string;
  option?: string;
  value?: string;
  /** The section part is not a plain name (e.g. `@type[n]`) and needs the extended lookup. */
  extended: boolean;
  p?: UciPackage;
  s?: UciSection;
  o?: UciOption;
  /** Everything named was found. */
  complete: boolean;
}

/** uci_parse_ptr: split `pkg.sec.opt=value` (the first `=` starts the value). Throws "Parse error" when invalid. */
export function parsePtr(str: string): UciPtr {
  let value: string | undefined;
  const eq = str.indexOf('=');
  if (eq >= 0) {
    value = str.slice(eq + 1);
    str = str.slice(0, eq);
  }
  const parts = str.split('.');
  if (parts.length > 3) throw new UciError(UCI_ERR_PARSE);
  const ptr: UciPtr = { package: parts[0]!, extended: false, complete: false };
  if (parts.length > 1) ptr.section = parts[1];
  if (parts.length > 2) ptr.option = parts[2];
  if (value !== undefined) ptr.value = value;
  if (!isValidPackageName(ptr.package)) throw new UciError(UCI_ERR_PARSE);
  if (ptr.section !== undefined && !isValidName(ptr.section)) ptr.extended = true;
  if (ptr.option !== undefined && !isValidName(ptr.option)) throw new UciError(UCI_ERR_PARSE);
  if (ptr.value !== undefined && !isValidText(ptr.value)) throw new UciError(UCI_ERR_PARSE);
  return ptr;
}

/** strtol(s, &end, 10) that must consume the whole string; undefined when it does not. */
function strtolWhole(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)$/.exec(s);
  if (!m) return undefined;
  if (m[2] === '') return s === '' ? 0 : undefined;
  const n = Number.parseInt(m[2]!, 10);
  return m[1] === '-' ? -n : n;
}

/**
 * uci_lookup_ext_section: `@type[n]` (n counted among sections of that type, negative from the end) or `@[n]` (any
 * type). Returns undefined when the index is out of range; throws "Invalid argument" when the syntax is wrong.
 */
export function lookupExtendedSection(p: UciPackage, ref: string): UciSection | undefined {
  const m = /^@([^[]*)\[([^\]]*)\]$/.exec(ref);
  if (!m) throw new UciError(UCI_ERR_INVAL);
  const type = m[1]!;
  let idx = strtolWhole(m[2]!);
  if (idx === undefined) throw new UciError(UCI_ERR_INVAL);
  if (type !== '' && !isValidType(type)) throw new UciError(UCI_ERR_INVAL);
  const candidates = type === '' ? p.sections : p.sectionsOfType(type);
  if (idx < 0) idx += candidates.length;
  return idx >= 0 ? candidates[idx] : undefined;
}

/** uci_lookup_ptr once the package is known: resolve section and option, setting `complete` when all exist. */
export function lookupInPackage(p: UciPackage, ptr: UciPtr, extended = true): UciPtr {
  ptr.p = p;
  ptr.complete = false;
  if (ptr.section === undefined && !ptr.s) {
    ptr.complete = true;
    return ptr;
  }
  let s: UciSection | undefined;
  if (ptr.s) s = ptr.s;
  else if (ptr.extended) {
    if (!extended) throw new UciError(UCI_ERR_INVAL);
    s = lookupExtendedSection(p, ptr.section!);
    if (s) ptr.section = s.name;
  } else s = p.section(ptr.section!);
  if (!s) return ptr;
  ptr.s = s;
  if (ptr.option !== undefined) {
    const o = findOption(s, ptr.option);
    if (!o) return ptr;
    ptr.o = o;
  }
  ptr.complete = true;
  return ptr;
}
