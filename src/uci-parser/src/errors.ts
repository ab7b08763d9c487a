/** libuci's error codes (uci.h) with the texts `uci_perror` prints for them. */
export const UCI_OK = 0;
export const UCI_ERR_MEM = 1;
export const UCI_ERR_INVAL = 2;
export const UCI_ERR_NOTFOUND = 3;
export const UCI_ERR_IO = 4;
export const UCI_ERR_PARSE = 5;
export const UCI_ERR_DUPLICATE = 6;
export const UCI_ERR_UNKNOWN = 7;

export type UciErrorCode = 1 | 2 | 3 | 4 | 5 | 6 | 7;

const TEXTS: Record<UciErrorCode, string> = {
  1: 'Out of memory',
  2: 'Invalid argument',
  3: 'Entry not found',
  4: 'I/O error',
  5: 'Parse error',
  6: 'Duplicate entry',
  7: 'Unknown error',
};

export function uciErrorText(code: number): string {
  return TEXTS[code as UciErrorCode] ?? TEXTS[UCI_ERR_UNKNOWN];
}

/** An error as libuci reports it; `message` is exactly what `uci` prints after "uci: ". */
export class UciError extends Error {
  readonly code: UciErrorCode;
  constructor(code: UciErrorCode, detail?: string) {
    super(TEXTS[code] + (detail ?? ''));
    this.name = 'UciError';
    this.code = code;
  }
}

/**
 * A syntax error in a config or delta file. `line` and `byte` are libuci's counters (the line count of the reading
 * position and the byte offset inside the logical line), so the message matches `uci` exactly; `physicalLine` is the
 * 1-based line of the file where the failing statement sits, for humans.
 */
export class UciParseError extends UciError {
  readonly reason: string;
  readonly line: number;
  readonly byte: number;
  readonly physicalLine: number;
  constructor(reason: string, line: number, byte: number, physicalLine: number) {
    super(UCI_ERR_PARSE, ` (${reason}) at line ${line}, byte ${byte}`);
    this.name = 'UciParseError';
    this.reason = reason;
    this.line = line;
    this.byte = byte;
    this.physicalLine = physicalLine;
  }
}
