/**
 * The shapes the classifier reads. They mirror config/types.ts (RuleConfig, PolicyConfig) structurally, so the
 * engine keeps importing nothing from config/ (config depends on the engine, not the reverse) while the daemon
 * passes its RouterConfig's arrays straight in.
 */
import type { Mode } from './api.js';

export type { Mode };

export interface PolicyConfig {
  name: string;
  mode: Mode;
  useLinks: string[];
}

export interface RuleConfig {
  name: string;
  srcIp?: string;
  destIp?: string;
  proto?: string;
  srcPort?: string;
  destPort?: string;
  family?: 'ipv4' | 'ipv6' | 'any';
  usePolicy: string;
}
