// IPv4 arithmetic the mesh variables need: nothing more.
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export interface Subnet {
  network: number;
  prefixlen: number;
  size: number;
}

export function parseSubnet(text: string): Subnet | undefined {
  const [addr, len] = text.split("/");
  const network = addr === undefined ? undefined : parseIpv4(addr);
  const prefixlen = Number(len);
  if (network === undefined || !Number.isInteger(prefixlen) || prefixlen < 8 || prefixlen > 30) return undefined;
  const size = 2 ** (32 - prefixlen);
  if (network % size !== 0) return undefined;
  return { network, prefixlen, size };
}

/** A host address of the subnet: neither its network nor its broadcast address. */
export function isHostAddress(subnet: Subnet, address: number): boolean {
  return address > subnet.network && address < subnet.network + subnet.size - 1;
}
