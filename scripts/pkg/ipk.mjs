// Assembles an .ipk the way OpenWrt's ipkg-build does, without the SDK: a gzip'd tar (not `ar`: opkg-lede pipes
// the file through gzip and walks tar headers) holding ./debian-binary, ./data.tar.gz and ./control.tar.gz.

import { gunzipSync, gzipSync } from 'node:zlib';
import { controlFile } from './openwrt-makefile.mjs';
import { readTar, treeEntries, writeTar } from './tar.mjs';

/**
 * @typedef {import('./openwrt-makefile.mjs').PackageMeta} PackageMeta
 * @typedef {{ path: string, mode: number, data: Buffer }} PackageFile
 * @typedef {{ postinst?: string, prerm?: string, postrm?: string, preinst?: string }} Scripts
 */

// Like `gzip -n`: no file name and a zero timestamp in the header, so the same input gives the same bytes.
const gz = (buf) => gzipSync(buf, { level: 9 });

/**
 * @param {{ meta: PackageMeta, arch: string, files: PackageFile[], scripts: Scripts, mtime: number }} spec
 * @returns {{ fileName: string, ipk: Buffer, control: string }}
 */
export function buildIpk({ meta, arch, files, scripts, mtime }) {
  for (const c of meta.conffiles) {
    if (!files.some((f) => f.path === c)) throw new Error(`ipk: conffile ${c} is not in the package`);
  }
  const dataTar = writeTar(treeEntries(files), mtime);
  const dataGz = gz(dataTar);
  const control = controlFile(meta, { arch, installedSize: dataTar.length, sourceDateEpoch: mtime });

  const controlFiles = [{ path: '/control', mode: 0o644, data: Buffer.from(control) }];
  if (meta.conffiles.length) {
    // ipkg-build sorts the resolved conffiles with LC_ALL=C.
    const list = [...meta.conffiles].sort();
    controlFiles.push({ path: '/conffiles', mode: 0o644, data: Buffer.from(`${list.join('\n')}\n`) });
  }
  for (const [name, text] of Object.entries(scripts)) {
    if (text !== undefined) controlFiles.push({ path: `/${name}`, mode: 0o755, data: Buffer.from(text) });
  }
  const controlGz = gz(writeTar(treeEntries(controlFiles), mtime));

  const outer = writeTar(
    [
      { name: './debian-binary', type: 'file', mode: 0o644, data: Buffer.from('2.0\n') },
      { name: './data.tar.gz', type: 'file', mode: 0o644, data: dataGz },
      { name: './control.tar.gz', type: 'file', mode: 0o644, data: controlGz },
    ],
    mtime,
  );
  const fileName = `${meta.name}_${meta.version}-${meta.release}_${arch}.ipk`;
  return { fileName, ipk: gz(outer), control };
}

/**
 * Reads an ipk back: its control text (and the other control members) and its data entries.
 * @param {Buffer} ipk
 */
export function readIpk(ipk) {
  const outer = readTar(gunzipSync(ipk));
  const member = (name) => {
    const e = outer.find((x) => x.name === name || x.name === name.slice(2));
    if (!e?.data) throw new Error(`ipk: no ${name} member`);
    return e.data;
  };
  const controlEntries = readTar(gunzipSync(member('./control.tar.gz')));
  const controlMember = (name) => controlEntries.find((e) => e.name === `./${name}` || e.name === name)?.data;
  const control = controlMember('control');
  if (!control) throw new Error('ipk: control.tar.gz has no control file');
  return {
    debianBinary: member('./debian-binary').toString(),
    control: control.toString(),
    controlMember,
    data: readTar(gunzipSync(member('./data.tar.gz'))),
  };
}

/**
 * Parses RFC822-style control text into fields (continuation lines joined with '\n').
 * @param {string} text
 * @returns {Map<string, string>}
 */
export function parseControl(text) {
  const fields = new Map();
  let last = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (/^\s/.test(line) && last) {
      fields.set(last, `${fields.get(last)}\n${line}`);
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`control: bad line '${line}'`);
    last = line.slice(0, i);
    fields.set(last, line.slice(i + 1).trim());
  }
  return fields;
}
