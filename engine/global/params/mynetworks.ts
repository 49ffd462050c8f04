// The default of mynetworks: the networks of the machine's interfaces, as Postfix's
// mynetworks(3) derives them from mynetworks_style (host, subnet, class), inet_interfaces
// and inet_protocols. Called by engine/global/params and postconf. Trusts its inputs to be
// evaluated parameter values; an interface it cannot parse is skipped.

interface Interface {
  family: 4 | 6;
  /** The address as bytes (4 or 16). */
  bytes: number[];
  prefixLength: number;
  text: string;
}

const IPV4_BYTES = 4;
const IPV6_BYTES = 16;
const IPV6_GROUPS = 8;

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== IPV4_BYTES) return undefined;
  const bytes = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN));
  return bytes.every((byte) => byte >= 0 && byte <= 255) ? bytes : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): number[] | undefined => {
    if (half === '') return [];
    const groups = half.split(':').map((group) => (/^[0-9a-f]{1,4}$/i.test(group) ? parseInt(group, 16) : NaN));
    return groups.every((group) => !Number.isNaN(group)) ? groups : undefined;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = IPV6_GROUPS - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}

function parseInterface(text: string): Interface | undefined {
  const [address = '', length = ''] = text.split('/');
  const ipv4 = parseIpv4(address);
  if (ipv4) return { family: 4, bytes: ipv4, prefixLength: Number(length || 32), text: address };
  const ipv6 = parseIpv6(address);
  if (ipv6 && ipv6.length === IPV6_BYTES) return { family: 6, bytes: ipv6, prefixLength: Number(length || 128), text: address };
  return undefined;
}

function maskBytes(bytes: readonly number[], prefixLength: number): number[] {
  return bytes.map((byte, index) => {
    const bitsHere = Math.max(0, Math.min(8, prefixLength - index * 8));
    return bitsHere === 0 ? 0 : byte & (0xff << (8 - bitsHere)) & 0xff;
  });
}

function formatIpv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let index = 0; index < IPV6_BYTES; index += 2) groups.push(((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0));
  // The longest run of zero groups (two or more) becomes "::", as inet_ntop writes it.
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < IPV6_GROUPS; start++) {
    let length = 0;
    while (start + length < IPV6_GROUPS && groups[start + length] === 0) length++;
    if (length > bestLength && length >= 2) { bestStart = start; bestLength = length; }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function formatNetwork(family: 4 | 6, bytes: readonly number[], prefixLength: number): string {
  return family === 4 ? `${bytes.join('.')}/${prefixLength}` : `[${formatIpv6(bytes)}]/${prefixLength}`;
}

function classPrefixLength(firstByte: number): number {
  if (firstByte < 128) return 8;
  if (firstByte < 192) return 16;
  return 24;
}

function isLoopback(entry: Interface): boolean {
  return entry.family === 4 ? entry.bytes[0] === 127 : entry.bytes.every((byte, index) => byte === (index === 15 ? 1 : 0));
}

/** Which interfaces inet_interfaces selects: all, loopback-only, or the listed addresses. */
function selectInterfaces(all: readonly Interface[], inetInterfaces: string): Interface[] {
  const wanted = inetInterfaces.split(/[\s,]+/).filter((word) => word !== '').map((word) => word.toLowerCase());
  if (wanted.length === 0 || wanted.includes('all')) return [...all];
  if (wanted.includes('loopback-only')) return all.filter(isLoopback);
  return all.filter((entry) => wanted.some((word) => word.replace(/^\[|\]$/g, '') === entry.text
    || (word === 'localhost' && isLoopback(entry))));
}

/** The mynetworks value Postfix computes: networks separated by one space. */
export function computeMynetworks(options: {
  interfaces: readonly string[];
  style: string;
  inetInterfaces: string;
  inetProtocols: string;
}): string {
  const parsed = options.interfaces.map(parseInterface).filter((entry): entry is Interface => entry !== undefined);
  const protocols = options.inetProtocols.toLowerCase();
  const familyAllowed = (family: 4 | 6): boolean => protocols.includes('all') || protocols.includes(family === 4 ? 'ipv4' : 'ipv6');
  const networks: string[] = [];
  for (const entry of selectInterfaces(parsed, options.inetInterfaces)) {
    if (!familyAllowed(entry.family)) continue;
    let prefixLength = entry.prefixLength;
    const style = options.style.trim().toLowerCase();
    if (style === 'host') prefixLength = entry.family === 4 ? 32 : 128;
    else if (style === 'class' && entry.family === 4) prefixLength = classPrefixLength(entry.bytes[0] ?? 0);
    const network = formatNetwork(entry.family, maskBytes(entry.bytes, prefixLength), prefixLength);
    if (!networks.includes(network)) networks.push(network);
  }
  return networks.join(' ');
}
