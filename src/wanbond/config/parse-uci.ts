import { parseUci, type UciPackage, UciParseError } from 'uci-parser';
import { ConfigError } from './errors.js';

/** Parse the UCI text, turning a syntax error into a ConfigError at the file's line. */
export function parseConfigText(text: string | Uint8Array, file: string): UciPackage {
  const pkg = file.slice(file.lastIndexOf('/') + 1) || 'config';
  try {
    return parseUci(text, { name: pkg });
  } catch (err) {
    if (err instanceof UciParseError)
      throw new ConfigError(`UCI syntax error (${err.reason})`, { file, pkg, line: err.physicalLine });
    throw err;
  }
}
