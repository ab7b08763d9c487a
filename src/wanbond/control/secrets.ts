/**
 * Last line of defence against leaking keys through the control API: replies are built from stats and config
 * fields that hold no secrets, but a provider's extra method or an error message might. Fields named like a
 * private key are dropped and any string containing a known secret is replaced.
 */
const SECRET_FIELD = /^(private_?key|privatekey|key_?file|psk|preshared_?key|secret)$/i;
export const REDACTED = '[redacted]';

export function scrubSecrets<T>(value: T, secrets: string[]): T {
  const live = secrets.filter((s) => typeof s === 'string' && s.length >= 8);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return live.some((s) => v.includes(s)) ? REDACTED : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !SECRET_FIELD.test(k))
          .map(([k, x]) => [k, walk(x)]),
      );
    }
    return v;
  };
  return walk(value) as T;
}
