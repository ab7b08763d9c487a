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

/** Exit code for commands whose issue has not landed yet: distinct from usage errors (1). */
export const EXIT_NOT_IMPLEMENTED = 2;

export function notImplemented(name: string, summary: string, usage: string): Command {
  return {
    name,
    summary,
    usage,
    async run(args, io) {
      if (wantsHelp(args)) {
        io.stdout(`${usage}\n`);
        return 0;
      }
      io.stderr(`wanbond ${name}: not implemented yet\n`);
      return EXIT_NOT_IMPLEMENTED;
    },
  };
}

export function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
