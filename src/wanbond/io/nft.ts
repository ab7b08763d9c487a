import { run, tryRun } from './exec.js';

/**
 * Everything wanbond adds to the firewall lives in ONE table of its own, `inet wanbond`: we never flush or edit
 * anybody else's rules, and removing the table removes all of ours at once.
 */
export const NFT_TABLE = 'wanbond';

/**
 * Replaces our table in one nft transaction: create-if-missing, delete, define. Either the whole new rule set is in
 * place or the old one still is, so a reload never leaves the firewall half-applied.
 */
export async function replaceTable(body: string, table = NFT_TABLE): Promise<void> {
  await run('nft', ['-f', '-'], replaceScript(body, table));
}

/** The `nft -f` script replaceTable feeds: create-if-missing, delete, define, in one transaction. */
export function replaceScript(body: string, table = NFT_TABLE): string {
  return `table inet ${table} {}\ndelete table inet ${table}\ntable inet ${table} {\n${body}\n}\n`;
}

/** Removing a table that is not there is fine: stop must be idempotent. */
export async function deleteTable(table = NFT_TABLE): Promise<void> {
  if (await tableExists(table)) await tryRun('nft', ['delete', 'table', 'inet', table]);
}

export async function tableExists(table = NFT_TABLE): Promise<boolean> {
  const out = await tryRun('nft', ['list', 'table', 'inet', table]);
  return typeof out === 'string';
}

/** nft quoted string for an interface name (names may hold characters nft would parse otherwise). */
export function nftString(text: string): string {
  if (!/^[A-Za-z0-9_.:@-]+$/.test(text)) throw new Error(`unsafe name for nftables: '${text}'`);
  return `"${text}"`;
}
