/** A CLI subcommand: `run` returns the process exit code so commands stay testable without exiting. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
}

export function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/**
 * The head every command with options shares: `--help` prints the usage (exit code 0), a parse error prints the
 * reason and the usage (exit code 1); otherwise the parsed options. A number back is the exit code to return.
 */
export function parseOrExit<T extends object>(
  command: Command,
  args: string[],
  io: CommandIO,
  parse: (args: string[]) => T | string,
): T | number {
  if (wantsHelp(args)) {
    io.stdout(`${command.usage}\n`);
    return 0;
  }
  const parsed = parse(args);
  if (typeof parsed !== 'string') return parsed;
  io.stderr(`wanbond ${command.name}: ${parsed}\n\n${command.usage}\n`);
  return 1;
}
