/**
 * A config mistake, located: `wanbond.wan1.backup: expected a boolean (0/1), got 'maybe' at /etc/config/wanbond:14`.
 * `section` is the name `uci show` would use (`@link[0]` for an anonymous section).
 */
export class ConfigError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly section: string | undefined;
  readonly option: string | undefined;
  /** The message without its location. */
  readonly detail: string;

  constructor(
    detail: string,
    where: {
      file: string;
      pkg: string;
      line?: number | undefined;
      section?: string | undefined;
      option?: string | undefined;
    },
  ) {
    const path = [where.pkg, where.section, where.option].filter((p) => p !== undefined && p !== '').join('.');
    const at = where.line !== undefined ? `${where.file}:${where.line}` : where.file;
    super(`${path}: ${detail} at ${at}`);
    this.name = 'ConfigError';
    this.file = where.file;
    this.line = where.line;
    this.section = where.section;
    this.option = where.option;
    this.detail = detail;
  }
}
