import { lookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Agent, buildConnector } from 'undici';

/**
 * Where evaluation calls from the platform may go. A connection's host is refused when it resolves to a
 * loopback, private, link-local or otherwise non-public address unless the operator allow-lists it, and
 * always when it is a cloud metadata address or the Gatehouse server itself. The same check runs when a
 * connection is saved (so an admin sees the refusal at once) and on every new socket (so a name that
 * later resolves elsewhere, DNS rebinding, is refused too). Redirects are never followed: undici's
 * `request` does not follow them.
 */
export interface EgressOptions {
  /** Operator allow-list: addresses, CIDR ranges or host names, each optionally with `:port`. */
  allow: readonly string[];
  /** Ports this server listens on: loopback or local addresses on these ports are the platform itself. */
  selfPorts: readonly number[];
  /** Host names the server is reached by (GATEHOUSE_PUBLIC_URL's), refused on the self ports. */
  selfHosts?: readonly string[];
}

/** A refused destination; targets report it as a configuration error, never retried. */
export class EgressRefusedError extends Error {
  readonly code = 'EGRESS_REFUSED';

  constructor(message: string) {
    super(message);
    this.name = 'EgressRefusedError';
  }
}

const NON_PUBLIC_V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'an unspecified address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];
const NON_PUBLIC_V6: [string, number, string][] = [
  ['::', 128, 'an unspecified address'],
  ['::1', 128, 'a loopback address'],
  // IPv4-compatible (deprecated) and IPv4-translated spellings of IPv4 addresses: never a public peer.
  ['::', 96, 'an IPv4-compatible address'],
  ['::ffff:0:0:0', 96, 'an IPv4-translated address'],
  ['fc00::', 7, 'a private (unique local) address'],
  ['fe80::', 10, 'a link-local address'],
  ['ff00::', 8, 'a multicast address'],
  ['64:ff9b::', 96, 'a NAT64 address'],
];
/** Instance metadata services (AWS, GCP, Azure, OpenStack; Alibaba; AWS over IPv6): never reachable. */
const METADATA = new BlockList();
METADATA.addAddress('169.254.169.254', 'ipv4');
METADATA.addAddress('100.100.100.200', 'ipv4');
METADATA.addAddress('fd00:ec2::254', 'ipv6');

interface AllowEntry {
  host?: string;
  range?: BlockList;
  port?: number;
}

function parseAllowEntry(entry: string): AllowEntry {
  let rest = entry.trim().toLowerCase();
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1];
    port = bracketed[2] ? Number(bracketed[2]) : undefined;
  } else if (!isIP(rest.split('/')[0]) || isIP(rest.split('/')[0]) === 4) {
    const withPort = /^(.*):(\d+)$/.exec(rest);
    if (withPort && !isIP(rest)) {
      rest = withPort[1];
      port = Number(withPort[2]);
    }
  }
  const [address, prefix] = rest.split('/');
  const family = isIP(address);
  if (!family) {
    return { host: rest.replace(/\.$/, ''), port };
  }
  const range = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  range.addSubnet(address, prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix), type);
  return { range, port };
}

/** `::ffff:10.0.0.1` is 10.0.0.1. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address.toLowerCase();
}

export class EgressPolicy {
  private readonly allow: AllowEntry[];
  private readonly nonPublic: { list: BlockList; why: string }[];
  private readonly selfPorts: Set<number>;
  private readonly selfHosts: Set<string>;

  constructor(options: EgressOptions) {
    this.allow = options.allow.map(parseAllowEntry);
    this.nonPublic = [...NON_PUBLIC_V4, ...NON_PUBLIC_V6].map(([address, prefix, why]) => {
      const list = new BlockList();
      list.addSubnet(address, prefix, isIP(address) === 4 ? 'ipv4' : 'ipv6');
      return { list, why };
    });
    this.selfPorts = new Set(options.selfPorts);
    this.selfHosts = new Set((options.selfHosts ?? []).map((h) => h.toLowerCase().replace(/\.$/, '')));
  }

  /** Why a call to `address` (resolved from `host`) on `port` is refused, or null when it may go. */
  refusal(address: string, port: number, host: string): string | null {
    const ip = unmapped(address);
    const family = isIP(ip);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    // `gatehouse.example.gov.uk.` (fully qualified, trailing dot) is the same host as without it.
    const name = host
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '');
    const where = name === ip ? ip : `${name} (${ip})`;
    // BlockList also matches IPv4-mapped IPv6 spellings (::ffff:a9fe:a9fe) against the IPv4 entries.
    if (METADATA.check(ip, type)) {
      return `${where} is a cloud metadata address, which evaluation calls may never reach`;
    }
    const local = this.nonPublic.find((range) => range.list.check(ip, type));
    // The name the server is published under is itself on any port (behind a TLS proxy it answers on 443).
    if (
      this.selfHosts.has(name) ||
      (this.selfPorts.has(port) && ((local && /loopback|unspecified/.test(local.why)) || isOwnAddress(ip)))
    ) {
      return `${where}:${port} is this Gatehouse server itself`;
    }
    if (!local) {
      return null;
    }
    const allowed = this.allow.some(
      (entry) =>
        (entry.port === undefined || entry.port === port) &&
        (entry.host !== undefined ? entry.host === name : entry.range?.check(ip, type) === true),
    );
    return allowed
      ? null
      : `${where} is ${local.why}; an operator can allow it with GATEHOUSE_EGRESS_ALLOW (e.g. ${name}:${port})`;
  }

  /** Resolves the URL's host and checks every address it has: what an admin is told when saving a connection. */
  async checkUrl(url: string): Promise<string | null> {
    const parsed = new URL(url);
    const port = Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : (await resolveAll(host)).map((a) => a.address);
    } catch (error) {
      return `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    }
    for (const address of addresses) {
      const refusal = this.refusal(address, port, host);
      if (refusal) {
        return refusal;
      }
    }
    return null;
  }

  /**
   * An undici dispatcher whose every new socket is checked: host names are resolved once, every address
   * checked, and the socket opened to the checked address (no second lookup to race).
   */
  dispatcher(): Agent {
    const connectors = new Map<number, buildConnector.connector>();
    const connectorFor = (port: number) => {
      let connector = connectors.get(port);
      if (!connector) {
        connector = buildConnector({
          lookup: (hostname, options, callback) =>
            lookup(hostname, { ...options, all: true }, (error, found) => {
              if (error) {
                callback(error, '', 0);
                return;
              }
              const list = found as unknown as LookupAddress[];
              for (const one of list) {
                const refusal = this.refusal(one.address, port, hostname);
                if (refusal) {
                  callback(new EgressRefusedError(refusal), '', 0);
                  return;
                }
              }
              if ((options as { all?: boolean }).all) {
                (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
              } else {
                callback(null, list[0].address, list[0].family);
              }
            }),
        });
        connectors.set(port, connector);
      }
      return connector;
    };
    return new Agent({
      keepAliveTimeout: 10_000,
      connections: null,
      pipelining: 1,
      connect: (options, callback) => {
        const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
        const host = options.hostname.replace(/^\[|\]$/g, '');
        if (isIP(host)) {
          const refusal = this.refusal(host, port, host);
          if (refusal) {
            callback(new EgressRefusedError(refusal), null);
            return;
          }
        }
        connectorFor(port)(options, callback);
      },
    });
  }
}

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    lookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );
}

let ownAddresses: Set<string> | undefined;
function isOwnAddress(ip: string): boolean {
  ownAddresses ??= new Set(
    Object.values(networkInterfaces())
      .flat()
      .filter((i) => i !== undefined)
      .map((i) => unmapped(i.address)),
  );
  return ownAddresses.has(ip);
}
