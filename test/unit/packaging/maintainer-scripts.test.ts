import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../../../src/wanbond/lab/netns.js';
import { root } from './fixtures.js';

// The ipk's postinst/prerm and the uci-defaults script act on /etc/init.d and /etc/uci-defaults by absolute path.
// Each run gets a private mount namespace with an empty tmpfs on /etc holding a recording /etc/init.d/wanbond;
// `uci`, `wanbond` and `logger` are recording stand-ins on PATH. Nothing of the host's /etc is touched.

const work = mkdtempSync(join(tmpdir(), 'wanbond-maint-'));
const bin = join(work, 'bin');

const STUBS: Record<string, string> = {
  uci: `#!/bin/sh
echo "uci $*" >>"$WB_LOG"
[ "$1" = -q ] && shift
case "$1 $2" in
"get wanbond.main.private_key") [ -n "$WB_PRIVKEY" ] || exit 1; echo "$WB_PRIVKEY" ;;
"get wanbond.main.key_file") [ -n "$WB_KEYFILE" ] || exit 1; echo "$WB_KEYFILE" ;;
"get wanbond.main") echo wanbond ;;
esac
exit 0
`,
  wanbond: `#!/bin/sh
echo "wanbond $*" >>"$WB_LOG"
case "$1" in
keygen) echo "umask $(umask)" >>"$WB_LOG"; [ "$WB_KEYGEN_FAIL" = 1 ] && exit 1; echo 'cHJpdmF0ZQ==' ;;
pubkey) read -r k; echo "pub-of-$k" ;;
esac
`,
  logger: `#!/bin/sh
echo "logger $*" >>"$WB_LOG"
`,
  initd: `#!/bin/sh
echo "init $*" >>"$WB_LOG"
[ "$1" = enabled ] && [ "$WB_ENABLED" != 1 ] && exit 1
exit 0
`,
};

const INSIDE = `
set -e
mount -t tmpfs wbtest /etc
mkdir -p /etc/init.d /etc/uci-defaults
cp "$WB_INITD" /etc/init.d/wanbond
chmod 755 /etc/init.d/wanbond
[ "$WB_DEFAULTS" = 1 ] && cp "$WB_UCI_DEFAULTS" /etc/uci-defaults/90-wanbond
if [ -n "$WB_OLD_KEY" ]; then
  mkdir -m 755 /etc/wanbond
  echo "$WB_OLD_KEY" >/etc/wanbond/router.key
  chmod 640 /etc/wanbond/router.key
fi
set +e
umask 022
sh "$WB_SCRIPT" "$@"
echo "exit $?" >>"$WB_LOG"
[ -e /etc/uci-defaults/90-wanbond ] && echo "uci-defaults kept" >>"$WB_LOG"
# What the key file holds, and who may read it, as the tmpfs /etc sees it (it vanishes with the namespace).
if [ -e /etc/wanbond ]; then
  echo "dir $(stat -c %a /etc/wanbond): $(echo $(ls -A /etc/wanbond))" >>"$WB_LOG"
  [ -e /etc/wanbond/router.key ] && echo "key $(stat -c '%a %u' /etc/wanbond/router.key): $(cat /etc/wanbond/router.key)" >>"$WB_LOG"
fi
exit 0
`;

let n = 0;
function run(script: 'postinst' | 'prerm', args: string[], env: Record<string, string> = {}): string[] {
  const log = join(work, `log${n++}`);
  writeFileSync(log, '');
  execFileSync('unshare', ['-m', 'sh', '-c', INSIDE, 'wb', ...args], {
    env: {
      PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
      WB_LOG: log,
      WB_INITD: join(bin, 'initd'),
      WB_DEFAULTS: '1',
      WB_UCI_DEFAULTS: join(root, 'openwrt/wanbond/files/wanbond.uci-defaults'),
      WB_SCRIPT: join(root, 'openwrt/ipk', script),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

beforeAll(() => {
  mkdirSync(bin);
  for (const [name, text] of Object.entries(STUBS)) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!isRoot())('ipk maintainer scripts and uci-defaults (needs root: mount namespace)', () => {
  it('first install on a live router: writes the key to a 0600 file named by key_file, then enables and starts', () => {
    const log = run('postinst', ['configure'], { PKG_ROOT: '/', PKG_UPGRADE: '0' });
    expect(log).toEqual([
      'uci -q get wanbond.main.private_key',
      'uci -q get wanbond.main.key_file',
      'wanbond keygen',
      // keygen already runs under umask 077: nothing the script creates is ever readable by others.
      'umask 0077',
      'uci -q get wanbond.main',
      'uci set wanbond.main.key_file=/etc/wanbond/router.key',
      'uci commit wanbond',
      'wanbond pubkey',
      'logger -t wanbond router public key: pub-of-cHJpdmF0ZQ==',
      'init enable',
      'init start',
      'exit 0',
      'dir 700: router.key',
      'key 600 0: cHJpdmF0ZQ==',
    ]);
    // The key never goes through uci, where LuCI's read ACL on 'wanbond' would show it.
    expect(log.filter((l) => l.includes('private_key=') || /^uci .*cHJpdmF0ZQ/.test(l))).toEqual([]);
  });

  it('never replaces an existing private key, and drops the uci-defaults script', () => {
    expect(run('postinst', ['configure'], { WB_PRIVKEY: 'ZXhpc3Rpbmc=' })).toEqual([
      'uci -q get wanbond.main.private_key',
      'init enable',
      'init start',
      'exit 0',
    ]);
  });

  it("never replaces the admin's own key_file", () => {
    expect(run('postinst', ['configure'], { WB_KEYFILE: '/root/my.key' })).toEqual([
      'uci -q get wanbond.main.private_key',
      'uci -q get wanbond.main.key_file',
      'init enable',
      'init start',
      'exit 0',
    ]);
  });

  it('names a key file left by an earlier install instead of overwriting it', () => {
    expect(run('postinst', ['configure'], { WB_OLD_KEY: 'b2xkLWtleQ==' })).toEqual([
      'uci -q get wanbond.main.private_key',
      'uci -q get wanbond.main.key_file',
      'uci -q get wanbond.main',
      'uci set wanbond.main.key_file=/etc/wanbond/router.key',
      'uci commit wanbond',
      'wanbond pubkey',
      'logger -t wanbond router public key: pub-of-b2xkLWtleQ==',
      'init enable',
      'init start',
      'exit 0',
      // Untouched, modes included (the daemon's config loader warns about the loose mode).
      'dir 755: router.key',
      'key 640 0: b2xkLWtleQ==',
    ]);
  });

  it('keeps the uci-defaults script for the next boot when keygen fails, and creates nothing', () => {
    const log = run('postinst', ['configure'], { WB_KEYGEN_FAIL: '1' });
    expect(log).not.toContain('uci commit wanbond');
    expect(log.slice(-4)).toEqual(['init enable', 'init start', 'exit 0', 'uci-defaults kept']);
  });

  it('on upgrade restarts the daemon only if the admin left the service enabled', () => {
    expect(run('postinst', ['configure'], { PKG_UPGRADE: '1', WB_ENABLED: '1', WB_PRIVKEY: 'k' })).toEqual([
      'uci -q get wanbond.main.private_key',
      'init enabled',
      'init restart',
      'exit 0',
    ]);
    expect(run('postinst', ['configure'], { PKG_UPGRADE: '1', WB_ENABLED: '0', WB_PRIVKEY: 'k' })).toEqual([
      'uci -q get wanbond.main.private_key',
      'init enabled',
      'exit 0',
    ]);
  });

  it('does nothing in an image build, an opkg offline root or with IPKG_NO_SCRIPT', () => {
    const offline: Record<string, string>[] = [{ IPKG_INSTROOT: '/build/root' }, { PKG_ROOT: '/tmp/offline/' }];
    for (const env of [...offline, { IPKG_NO_SCRIPT: '1' }]) {
      expect(run('postinst', ['configure'], env)).toEqual(['exit 0', 'uci-defaults kept']);
    }
    for (const env of offline) {
      expect(run('prerm', ['remove'], env)).toEqual(['exit 0', 'uci-defaults kept']);
    }
  });

  it('prerm stops and disables on removal, and leaves the service alone on upgrade', () => {
    expect(run('prerm', ['remove'], { PKG_ROOT: '/', WB_DEFAULTS: '0' })).toEqual([
      'init stop',
      'init disable',
      'exit 0',
    ]);
    expect(run('prerm', ['upgrade', '0.2.0-1'], { WB_DEFAULTS: '0' })).toEqual(['exit 0']);
  });

  it('left the host untouched', () => {
    expect(existsSync('/etc/init.d/wanbond')).toBe(false);
    expect(existsSync('/etc/uci-defaults/90-wanbond')).toBe(false);
  });
});
