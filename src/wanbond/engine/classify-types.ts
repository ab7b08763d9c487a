/**
 * `config policy` and `config rule` after validation: defined here so the engine imports nothing from config/
 * (config depends on the engine, not the reverse); config/types.ts re-exports them for the rest of the daemon.
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
