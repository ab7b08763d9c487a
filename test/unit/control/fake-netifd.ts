/** A stand-in netifd on ubus (shared by the netifd unit tests and the router's netns test with a fake ubusd). */
import type { UbusClient, UbusObject } from '../../../src/ubus-js/src/index.js';

/** A status dump shaped like netifd_dump_status on OpenWrt 23.05 (DHCP WAN). */
export function dump(up: boolean, address: string, gateway: string, device = 'eth1'): Record<string, unknown> {
  if (!up) {
    return {
      up: false,
      pending: false,
      available: true,
      autostart: true,
      dynamic: false,
      proto: 'dhcp',
      device,
      data: {},
    };
  }
  return {
    up: true,
    pending: false,
    available: true,
    autostart: true,
    dynamic: false,
    uptime: 42,
    l3_device: device,
    proto: 'dhcp',
    device,
    updated: ['addresses', 'routes', 'data'],
    metric: 10,
    dns_metric: 0,
    delegation: true,
    'ipv4-address': [{ address, mask: 24 }],
    'ipv6-address': [
      { address: 'fe80::1', mask: 64 },
      { address: '2001:db8::10', mask: 64 },
    ],
    'ipv6-prefix': [],
    'ipv6-prefix-assignment': [],
    route: [
      { target: '192.0.2.0', mask: 24, nexthop: '0.0.0.0', source: `${address}/32` },
      { target: '0.0.0.0', mask: 0, nexthop: gateway, source: `${address}/32` },
    ],
    'dns-server': [gateway],
    'dns-search': [],
    neighbors: [],
    inactive: { 'ipv4-address': [], 'ipv6-address': [], route: [], 'dns-server': [], 'dns-search': [], neighbors: [] },
    data: { leasetime: 86400 },
  };
}

export class FakeNetifd {
  states = new Map<string, Record<string, unknown>>();
  iface!: UbusObject;
  perIface = new Map<string, UbusObject>();
  constructor(readonly ubus: UbusClient) {}

  async start(initial: Record<string, Record<string, unknown>>): Promise<void> {
    this.iface = await this.ubus.addObject('network.interface', {
      up: { signature: { interface: 'STRING' }, handler: () => undefined },
      down: { signature: { interface: 'STRING' }, handler: () => undefined },
      dump: { handler: () => ({ interface: [...this.states].map(([n, s]) => ({ interface: n, ...s })) }) },
    });
    for (const [name, st] of Object.entries(initial)) await this.add(name, st);
  }

  async add(name: string, st: Record<string, unknown>): Promise<void> {
    this.states.set(name, st);
    const obj = await this.ubus.addObject(`network.interface.${name}`, {
      status: { handler: () => this.states.get(name) },
      up: { handler: () => undefined },
      down: { handler: () => undefined },
    });
    this.perIface.set(name, obj);
  }

  /** What netifd does on a change: notify both objects with {interface, ...dump}, and the ifup/ifdown event. */
  async change(name: string, st: Record<string, unknown>, opts: { event?: boolean; notify?: boolean } = {}) {
    this.states.set(name, st);
    const type = st.up ? 'interface.update' : 'interface.down';
    if (opts.notify !== false) {
      this.iface.notify(type, { interface: name, ...st });
      this.perIface.get(name)?.notify(type, { interface: name, ...st });
    }
    if (opts.event)
      await this.ubus.sendEvent('network.interface', { action: st.up ? 'ifup' : 'ifdown', interface: name });
  }
}
