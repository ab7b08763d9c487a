/** Options both daemons take; `extra` lists the value options one of them adds (e.g. --ubus-socket). */
export interface DaemonArgs {
  config: string;
  debug: boolean;
  values: Map<string, string>;
}

export function parseDaemonArgs(args: string[], extra: string[] = []): DaemonArgs | string {
  let config: string | undefined;
  let debug = false;
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-c' || arg === '--config') {
      config = args[++i];
      if (config === undefined) return `${arg} needs a FILE`;
    } else if (arg.startsWith('--config=')) {
      config = arg.slice('--config='.length);
    } else if (arg === '-d' || arg === '--debug') {
      debug = true;
    } else if (extra.includes(arg)) {
      const v = args[++i];
      if (v === undefined) return `${arg} needs a value`;
      values.set(arg, v);
    } else {
      return `unknown argument '${arg}'`;
    }
  }
  if (config === undefined) return 'missing -c FILE';
  return { config, debug, values };
}
