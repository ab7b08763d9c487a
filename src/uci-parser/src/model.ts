/** The in-memory tree, shaped like libuci's: packages hold ordered sections, sections hold ordered options. */

/** A string option, or a list when `value` is an array (a list may be empty after `del_list`). */
export interface UciOption {
  name: string;
  value: string | string[];
  /** 1-based line of the file where the option was last set (absent for options made through the API). */
  line?: number;
}

export interface UciSection {
  /** The section name; anonymous sections carry their generated `cfgXXXXXX` id here. */
  name: string;
  type: string;
  anonymous: boolean;
  options: UciOption[];
  /** 1-based line of the file where the section was first declared. */
  line?: number;
}

export type DeltaCommand = 'add' | 'remove' | 'change' | 'rename' | 'reorder' | 'list_add' | 'list_del';

/** One line of a delta ("savedir") file. */
export interface DeltaEntry {
  cmd: DeltaCommand;
  section: string;
  option?: string;
  value?: string;
}

export class UciPackage {
  name: string;
  sections: UciSection[] = [];
  /** libuci's `n_section`: how many sections were ever allocated; numbers the next anonymous id. */
  nSection = 0;
  /** Changes made since load that `save` will append to the delta file. */
  delta: DeltaEntry[] = [];
  /** Changes read from delta files at load time: what `uci changes` prints. */
  savedDelta: DeltaEntry[] = [];
  /** Whether changes are recorded as delta (true for packages loaded from a config dir). */
  hasDelta = false;
  /** File the package was read from. */
  path?: string;

  constructor(name: string) {
    this.name = name;
  }

  /** The first section with this name (libuci allows duplicates only through rename). */
  section(name: string): UciSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  sectionsOfType(type: string): UciSection[] {
    return this.sections.filter((s) => s.type === type);
  }
}

export function findOption(section: UciSection, name: string): UciOption | undefined {
  return section.options.find((o) => o.name === name);
}

export function isList(option: UciOption): option is UciOption & { value: string[] } {
  return Array.isArray(option.value);
}

/** Deep copy, without the delta bookkeeping. */
export function clonePackage(p: UciPackage): UciPackage {
  const copy = new UciPackage(p.name);
  copy.nSection = p.nSection;
  copy.sections = p.sections.map((s) => ({
    ...s,
    options: s.options.map((o) => ({ ...o, value: Array.isArray(o.value) ? [...o.value] : o.value })),
  }));
  return copy;
}
