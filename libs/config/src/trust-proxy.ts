import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Which reverse proxies to believe about the client (Express's `trust proxy`): `false` (none, the default),
 * `true` (any: only when nothing reaches the API except through the proxy), a number of proxy hops, or the
 * proxies' addresses and subnets. Behind a trusted TLS proxy `req.secure` follows `X-Forwarded-Proto`.
 */
export type TrustProxy = boolean | number | string[];

const NAMED = ['loopback', 'linklocal', 'uniquelocal'];

const isAddressOrSubnet = (entry: string): boolean => {
  if (NAMED.includes(entry)) {
    return true;
  }
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length > 0) {
    return false;
  }
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
};

export const trustProxySchema = z
  .string()
  .optional()
  .transform((value, ctx): TrustProxy => {
    const v = value?.trim().toLowerCase();
    if (v === undefined || v === '' || v === 'false') {
      return false;
    }
    if (v === 'true') {
      return true;
    }
    if (/^\d+$/.test(v) && Number(v) <= 10) {
      return Number(v);
    }
    const entries = v
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const bad = entries.filter((e) => !isAddressOrSubnet(e));
    if (entries.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be true, false, a number of proxy hops (0-10) or a comma-separated list of proxy addresses, subnets (10.0.0.0/8) and loopback, linklocal or uniquelocal${bad.length > 0 ? `; not understood: ${bad.join(', ')}` : ''}`,
      });
      return z.NEVER;
    }
    return entries;
  });
