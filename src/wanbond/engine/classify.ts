/**
 * The policy classifier: `config rule`s and `config policy`s compiled once into a matcher over raw IP packets.
 * Rules are tried in config order and the first match wins (mwan3's semantics); a packet no rule matches gets the
 * main mode. `classify` fits the engine's per-packet hook; `lookup` also says which links the policy allows
 * (`use_link`) and which rule decided, for diagnostics; `route` binds link names to path ids once and gives the
 * hook that restricts each packet to its policy's paths.
 */
import type { Mode, PathChoice, PathId } from './api.js';
import { emptyFields, type PacketFields, readPacketFields } from './classify-packet.js';
import { type PortRange, parseRules, type RuleSpec } from './classify-spec.js';
import type { PolicyConfig, RuleConfig } from './classify-types.js';
import type { Prefix } from './prefix.js';
import { pathMask } from './scheduler.js';

export { ClassifierError, parsePorts, type RuleSpec } from './classify-spec.js';

export interface ClassifyResult {
  readonly mode: Mode;
  /** The policy's `use_link` names; undefined when every link may carry it. */
  readonly links?: readonly string[];
  /** The rule that matched; undefined for the default. */
  readonly rule?: string;
  readonly policy?: string;
}

export interface Classifier {
  /** For ClientEngineOptions.classify: the packet's mode. A bound function, safe to pass around. */
  readonly classify: (packet: Uint8Array) => Mode;
  /** The full decision. The returned object is shared and frozen: do not keep per-packet state in it. */
  readonly lookup: (packet: Uint8Array) => ClassifyResult;
  /**
   * For ClientEngineOptions.classify with `use_link` honoured: link names are turned into path masks here, once
   * (call again when links are added). A policy without `use_link` gives its bare mode; one whose links are all
   * unknown (not configured, or disabled) gets an empty mask, which the engine treats as "none up": any path.
   */
  readonly route: (pathIds: ReadonlyMap<string, PathId>) => (packet: Uint8Array) => Mode | PathChoice;
  /** The parsed rules, in order (the nftables renderer uses the same ones). */
  readonly rules: readonly RuleSpec[];
  readonly defaultResult: ClassifyResult;
}

export interface ClassifierInput {
  rules: RuleConfig[];
  policies: PolicyConfig[];
  /** The main mode (`wanbond.main.mode`), for packets no rule matches. */
  mode: Mode;
}

/** Address prefix as 32-bit words and masks, so a match is a few integer ANDs. */
interface WordPrefix {
  net: Uint32Array;
  mask: Uint32Array;
}

function wordPrefix(p: Prefix): WordPrefix {
  const words = p.bytes.length / 4;
  const net = new Uint32Array(words);
  const mask = new Uint32Array(words);
  for (let w = 0; w < words; w++) {
    const bits = Math.max(0, Math.min(32, p.length - w * 32));
    mask[w] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const b = w * 4;
    const word = ((p.bytes[b]! << 24) | (p.bytes[b + 1]! << 16) | (p.bytes[b + 2]! << 8) | p.bytes[b + 3]!) >>> 0;
    net[w] = (word & mask[w]!) >>> 0;
  }
  return { net, mask };
}

function inPrefixes(list: WordPrefix[], packet: Uint8Array, off: number): boolean {
  for (const p of list) {
    let ok = true;
    for (let w = 0; w < p.net.length && ok; w++) {
      const b = off + w * 4;
      const word = ((packet[b]! << 24) | (packet[b + 1]! << 16) | (packet[b + 2]! << 8) | packet[b + 3]!) >>> 0;
      ok = (word & p.mask[w]!) >>> 0 === p.net[w];
    }
    if (ok) return true;
  }
  return false;
}

function inPorts(list: PortRange[], port: number): boolean {
  for (const r of list) if (port >= r.lo && port <= r.hi) return true;
  return false;
}

/** One rule specialised for one IP version. */
interface FamilyMatcher {
  src: WordPrefix[] | undefined;
  dst: WordPrefix[] | undefined;
  /** 256 flags, or undefined for any protocol. */
  proto: Uint8Array | undefined;
  srcPorts: PortRange[] | undefined;
  dstPorts: PortRange[] | undefined;
}

interface CompiledRule {
  v4: FamilyMatcher | undefined;
  v6: FamilyMatcher | undefined;
  result: ClassifyResult;
}

function familyMatcher(spec: RuleSpec, family: 4 | 6): FamilyMatcher | undefined {
  if (!spec.families.includes(family)) return undefined;
  const pick = (list: Prefix[]) =>
    list.length === 0 ? undefined : list.filter((p) => p.family === family).map(wordPrefix);
  const protos = family === 4 ? spec.proto4 : spec.proto6;
  let proto: Uint8Array | undefined;
  if (protos !== undefined) {
    proto = new Uint8Array(256);
    for (const p of protos) proto[p] = 1;
  }
  return { src: pick(spec.src), dst: pick(spec.dst), proto, srcPorts: spec.srcPorts, dstPorts: spec.destPorts };
}

function matchFamily(m: FamilyMatcher, packet: Uint8Array, f: PacketFields): boolean {
  if (m.proto !== undefined && (f.proto < 0 || m.proto[f.proto] !== 1)) return false;
  if (m.srcPorts !== undefined || m.dstPorts !== undefined) {
    if (!f.hasPorts) return false;
    if (m.srcPorts !== undefined && !inPorts(m.srcPorts, f.srcPort)) return false;
    if (m.dstPorts !== undefined && !inPorts(m.dstPorts, f.dstPort)) return false;
  }
  if (m.src !== undefined && !inPrefixes(m.src, packet, f.srcOff)) return false;
  if (m.dst !== undefined && !inPrefixes(m.dst, packet, f.dstOff)) return false;
  return true;
}

function resultOf(spec: RuleSpec, mode: Mode): ClassifyResult {
  const policy = spec.policy;
  if (!policy) return Object.freeze({ mode, rule: spec.name });
  const r: { mode: Mode; rule: string; policy: string; links?: readonly string[] } = {
    mode: policy.mode,
    rule: spec.name,
    policy: policy.name,
  };
  if (policy.useLinks.length > 0) r.links = Object.freeze([...policy.useLinks]);
  return Object.freeze(r);
}

/** Compiles the rules once; throws ClassifierError (naming rule and option) for invalid input. */
export function compileClassifier(input: ClassifierInput): Classifier {
  const specs = parseRules(input.rules, input.policies);
  const compiled: CompiledRule[] = specs.map((spec) => ({
    v4: familyMatcher(spec, 4),
    v6: familyMatcher(spec, 6),
    result: resultOf(spec, input.mode),
  }));
  const defaultResult: ClassifyResult = Object.freeze({ mode: input.mode });
  const fields = emptyFields();
  /** Index of the first matching rule, -1 for none. */
  const match = (packet: Uint8Array): number => {
    if (compiled.length === 0) return -1;
    readPacketFields(packet, fields);
    if (fields.family === 0) return -1;
    const v4 = fields.family === 4;
    for (let i = 0; i < compiled.length; i++) {
      const m = v4 ? compiled[i]!.v4 : compiled[i]!.v6;
      if (m !== undefined && matchFamily(m, packet, fields)) return i;
    }
    return -1;
  };
  const lookup = (packet: Uint8Array): ClassifyResult => {
    const i = match(packet);
    return i < 0 ? defaultResult : compiled[i]!.result;
  };
  const route = (pathIds: ReadonlyMap<string, PathId>) => {
    const choices: Array<Mode | PathChoice> = compiled.map(({ result }) => {
      if (!result.links) return result.mode;
      const ids: PathId[] = [];
      for (const name of result.links) {
        const id = pathIds.get(name);
        if (id !== undefined && !ids.includes(id)) ids.push(id);
      }
      // Every link listed is no restriction: the packet then costs nothing extra in the engine.
      if (ids.length === pathIds.size) return result.mode;
      return Object.freeze({ mode: result.mode, paths: pathMask(ids) });
    });
    return (packet: Uint8Array): Mode | PathChoice => {
      const i = match(packet);
      return i < 0 ? input.mode : choices[i]!;
    };
  };
  return {
    classify: (packet) => lookup(packet).mode,
    lookup,
    route,
    rules: specs,
    defaultResult,
  };
}
