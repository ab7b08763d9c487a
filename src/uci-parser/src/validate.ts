/** Name rules of libuci's `uci_validate_str` (C locale `isalnum`). */

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function validateStr(s: string, name: boolean, pkg: boolean): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isAlnum(c) || c === 95) continue;
    if (c === 45 && pkg) continue;
    if (name || c < 33 || c > 126) return false;
  }
  return true;
}

/** Section and option names: `[A-Za-z0-9_]+`. */
export function isValidName(s: string): boolean {
  return validateStr(s, true, false);
}

/** Package names as libuci checks them on load: printable ASCII 33..126 (`uci_validate_package`). */
export function isValidPackageName(s: string): boolean {
  return validateStr(s, false, true);
}

/** The name of a `package` statement inside a file: `[A-Za-z0-9_-]+`. */
export function isValidPackageStatementName(s: string): boolean {
  return validateStr(s, true, true);
}

/** Section types: printable ASCII 33..126. */
export function isValidType(s: string): boolean {
  return validateStr(s, false, false);
}

/** Values given on the command line or in delta files: no control characters except tab, LF and CR. */
export function isValidText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}
