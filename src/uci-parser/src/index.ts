/**
 * uci-parser: OpenWrt UCI config files read, edited and written exactly as libuci does it (file syntax, anonymous
 * section ids, `uci show` / `uci export` output, delta "savedir" files) plus a `uci`-compatible command line.
 * No dependency on wanbond.
 */
export { decodeBytes, encodeBytes } from './bytes.js';
export { runUciCli, type UciCliDefaults, type UciCliIO } from './cli.js';
export {
  DEFAULT_CONF2DIR,
  DEFAULT_CONFDIR,
  DEFAULT_SAVEDIR,
  UciContext,
  type UciContextOptions,
} from './context.js';
export {
  applyDeltaEntry,
  formatDelta,
  formatDeltaEntry,
  loadDelta,
  type ParsedDeltaLine,
  parseDeltaLines,
  quoteValue,
} from './delta.js';
export {
  UCI_ERR_DUPLICATE,
  UCI_ERR_INVAL,
  UCI_ERR_IO,
  UCI_ERR_MEM,
  UCI_ERR_NOTFOUND,
  UCI_ERR_PARSE,
  UCI_ERR_UNKNOWN,
  UCI_OK,
  UciError,
  type UciErrorCode,
  UciParseError,
  uciErrorText,
} from './errors.js';
export { anonymousSectionName } from './hash.js';
export {
  clonePackage,
  type DeltaCommand,
  type DeltaEntry,
  findOption,
  isList,
  type UciOption,
  UciPackage,
  type UciSection,
} from './model.js';
export {
  scanInt,
  strtoulInt,
  uciAddList,
  uciAddSection,
  uciDelete,
  uciDelList,
  uciRename,
  uciReorder,
  uciSet,
} from './ops.js';
export { type ParseOptions, parseUci } from './parse.js';
export { lookupExtendedSection, lookupInPackage, parsePtr, type UciPtr } from './ptr.js';
export {
  type ExportOptions,
  exportPackage,
  formatChanges,
  formatValue,
  type ShowOptions,
  sectionRef,
  serializeUci,
  showOption,
  showPackage,
  showSection,
} from './serialize.js';
export {
  lineOf,
  optionBoolean,
  optionList,
  optionString,
  parseUciBoolean,
  sectionByName,
  sectionsByType,
  UCI_FALSE,
  UCI_TRUE,
} from './typed.js';
export { isValidName, isValidPackageName, isValidText, isValidType } from './validate.js';
