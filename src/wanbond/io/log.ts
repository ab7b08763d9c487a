/**
 * One line per event on stdout (info) or stderr (warn/error): procd and systemd timestamp and collect lines, so we
 * add no timestamp of our own and never print multi-line output for a single event.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface LogSink {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export function createLogger(tag: string, sink: LogSink, opts: { debug?: boolean } = {}): Logger {
  const line = (level: LogLevel, msg: string) => `wanbond-${tag} ${level}: ${msg.replace(/\s*\n\s*/g, ' ')}\n`;
  return {
    debug: (msg) => {
      if (opts.debug) sink.stdout(line('debug', msg));
    },
    info: (msg) => sink.stdout(line('info', msg)),
    warn: (msg) => sink.stderr(line('warn', msg)),
    error: (msg) => sink.stderr(line('error', msg)),
  };
}

/** For code paths that must not print (unit tests, one-shot helpers). */

/** An error's message without its stack: one log line. */
export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
