// The opkg feed index ("Packages"), entry by entry as OpenWrt's scripts/ipkg-make-index.sh writes it: the ipk's
// control file with Filename, Size and SHA256sum inserted before Description, then an empty line.

import { createHash } from 'node:crypto';

/**
 * @param {string} control the ipk's control file
 * @param {{ fileName: string, ipk: Buffer }} pkg
 * @returns {string}
 */
export function indexEntry(control, { fileName, ipk }) {
  const sha256 = createHash('sha256').update(ipk).digest('hex');
  const fields = `Filename: ${fileName}\nSize: ${ipk.length}\nSHA256sum: ${sha256}\n`;
  const at = control.search(/^Description:/m);
  const body = control.endsWith('\n') ? control : `${control}\n`;
  const entry = at === -1 ? `${body}${fields}` : `${body.slice(0, at)}${fields}${body.slice(at)}`;
  return `${entry}\n`;
}

/**
 * The whole index, entries sorted by file name like `find | sort` in ipkg-make-index.sh.
 * @param {{ fileName: string, ipk: Buffer, control: string }[]} pkgs
 */
export function packagesIndex(pkgs) {
  return [...pkgs]
    .sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0))
    .map((p) => indexEntry(p.control, p))
    .join('');
}
