import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlFields, unar } from './archives.js';
import { configOrStandIn, requireBuild, root, SERVER_CONFIG_STANDIN, version } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'wanbond-deb-test-'));
const out = join(work, 'out');
const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const debName = `wanbond-server_${version}_${arch}.deb`;
let deb = '';
let conf = '';

const dpkgDeb = (...args: string[]) => execFileSync('dpkg-deb', [...args, deb], { encoding: 'utf8' });

beforeAll(() => {
  requireBuild('dist/wanbond.js', 'dist/tuntap2.node');
  conf = configOrStandIn('debian/server.conf', work, SERVER_CONFIG_STANDIN);
  // lintian runs below, on its own, so its verdict is this test's
  const r = spawnSync('bash', [join(root, 'scripts/deb.sh')], {
    env: { ...process.env, WANBOND_DEB_OUT: out, WANBOND_SERVER_CONF: conf, WANBOND_LINTIAN: '0' },
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`scripts/deb.sh failed:\n${r.stdout}\n${r.stderr}`);
  expect(readdirSync(out)).toEqual([debName]);
  deb = join(out, debName);
}, 200_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('make deb (scripts/deb.sh, debian/)', () => {
  it('is an ar archive with debian-binary, control and data, in that order', () => {
    const members = unar(readFileSync(deb));
    expect(members.map((m) => m.name.replace(/\.(xz|gz|zst)$/, ''))).toEqual([
      'debian-binary',
      'control.tar',
      'data.tar',
    ]);
    expect(members[0]!.data.toString()).toBe('2.0\n');
  });

  it('declares the package, its architecture and dependencies', () => {
    const f = controlFields(dpkgDeb('--field'));
    expect(f.get('Package')).toBe('wanbond-server');
    expect(f.get('Version')).toBe(version);
    expect(f.get('Architecture')).toBe(arch);
    const depends = f.get('Depends')!;
    // procps: /bin/kill for ExecReload and sysctl for the postinst
    for (const d of ['nodejs (>= 18)', 'nftables', 'iproute2', 'adduser', 'procps']) expect(depends).toContain(d);
    expect(depends).toMatch(/libc6/);
    const info = dpkgDeb('--info');
    expect(info).toMatch(/conffiles/);
    expect(dpkgDeb('--ctrl-tarfile').length).toBeGreaterThan(0);
  });

  it('installs bundle, addon, wrapper, config, unit, sysctl file and man page', () => {
    const lines = dpkgDeb('--contents').trim().split('\n');
    const files = new Map(
      lines.map((l) => {
        const parts = l.split(/\s+/);
        return [parts[5]!, parts[0]!] as const;
      }),
    );
    expect(files.get('./usr/lib/wanbond/wanbond.js')).toBe('-rwxr-xr-x');
    expect(files.get('./usr/lib/wanbond/tuntap2.node')).toBe('-rw-r--r--');
    expect(files.get('./usr/bin/wanbond')).toBe('-rwxr-xr-x');
    expect(files.get('./etc/wanbond/server')).toBe('-rw-r--r--');
    expect(files.get('./etc/sysctl.d/60-wanbond-server.conf')).toBe('-rw-r--r--');
    expect(files.get('./lib/systemd/system/wanbond-server.service')).toBe('-rw-r--r--');
    expect(files.get('./usr/share/man/man1/wanbond.1.gz')).toBe('-rw-r--r--');
    for (const l of lines) expect(l).toMatch(/ root\/root /);
  });

  it('marks the config and sysctl file as conffiles; its scripts make the key once and manage the unit', () => {
    const ctl = join(work, 'control');
    execFileSync('dpkg-deb', ['--control', deb, ctl]);
    expect(readFileSync(join(ctl, 'conffiles'), 'utf8').trim().split('\n').sort()).toEqual([
      '/etc/sysctl.d/60-wanbond-server.conf',
      '/etc/wanbond/server',
    ]);
    const postinst = readFileSync(join(ctl, 'postinst'), 'utf8');
    expect(postinst).toContain('if [ ! -e "$KEY" ]; then');
    expect(postinst).toContain('chmod 0600 "$KEY.new"');
    expect(postinst).toContain("deb-systemd-helper enable 'wanbond-server.service'");
    expect(postinst).toContain("deb-systemd-invoke $_dh_action 'wanbond-server.service'");
    expect(readFileSync(join(ctl, 'prerm'), 'utf8')).toContain("deb-systemd-invoke stop 'wanbond-server.service'");
    const postrm = readFileSync(join(ctl, 'postrm'), 'utf8');
    expect(postrm).toMatch(/if \[ "\$1" = purge \]; then\n\trm -f \/etc\/wanbond\/server\.key/);
    for (const s of ['postinst', 'prerm', 'postrm']) execFileSync('sh', ['-n', join(ctl, s)]);
    const sysctl = execFileSync('dpkg-deb', ['--fsys-tarfile', deb]);
    expect(execFileSync('tar', ['-xO', './etc/sysctl.d/60-wanbond-server.conf'], { input: sysctl }).toString()).toMatch(
      /^net\.ipv4\.ip_forward = 1$/m,
    );
  });

  it('runs the server as a hardened systemd service without full root', () => {
    const data = execFileSync('dpkg-deb', ['--fsys-tarfile', deb]);
    const unit = execFileSync('tar', ['-xO', './lib/systemd/system/wanbond-server.service'], {
      input: data,
    }).toString();
    const kv = new Map(
      unit
        .split('\n')
        .filter((l) => /^[A-Za-z]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
    );
    expect(kv.get('Type')).toBe('simple');
    // The wanbond user cannot create /run/wanbond.sock (the default `wanbond status`/`pair` ask): the socket goes
    // in the RuntimeDirectory, and root links the default path to it while the server runs.
    expect(kv.get('ExecStart')).toBe(
      '/usr/bin/wanbond server -c /etc/wanbond/server --control-socket /run/wanbond/wanbond.sock',
    );
    expect(kv.get('RuntimeDirectory')).toBe('wanbond');
    expect(kv.get('ExecStartPost')).toBe('+/bin/ln -sfn wanbond/wanbond.sock /run/wanbond.sock');
    expect(kv.get('ExecStopPost')).toContain('rm -f /run/wanbond.sock');
    expect(kv.get('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(kv.get('Restart')).toBe('on-failure');
    expect(kv.get('User')).toBe('wanbond');
    expect(kv.get('NoNewPrivileges')).toBe('yes');
    expect(kv.get('ProtectSystem')).toBe('strict');
    expect(kv.get('CapabilityBoundingSet')).toBe('CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE');
    expect(kv.get('AmbientCapabilities')).toBe('CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE');
    expect(kv.get('DeviceAllow')).toBe('/dev/net/tun rw');
    expect(kv.get('WantedBy')).toBe('multi-user.target');
  });

  it('has no lintian errors', () => {
    const r = spawnSync('lintian', ['--fail-on', 'error', '--tag-display-limit', '0', deb], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('E: '));
    expect(errors).toEqual([]);
    expect(r.status).toBe(0);
  }, 130_000);
});
