import { BlockList, isIP } from 'node:net'

/**
 * Parses `allowFrom` (IP addresses and CIDR ranges; IPv4-mapped IPv6 addresses match their IPv4 form) into a check of
 * a request's source address. @throws TypeError naming the option.
 */
export function createSourceFilter(entries: unknown): (ip: string | undefined) => boolean {
  const list = toBlockList(entries)
  return (ip) => isAllowed(list, ip)
}

function toBlockList(entries: unknown): BlockList {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new TypeError('"allowFrom" option must be a non-empty array of IP addresses or CIDR ranges')
  }
  const list = new BlockList()
  for (const entry of entries) {
    const [address = '', prefix, extra] = typeof entry === 'string' ? entry.split('/') : []
    const family = isIP(address)
    const bits = Number(prefix)
    const badPrefix = prefix !== undefined && !(/^\d+$/.test(prefix) && bits <= (family === 6 ? 128 : 32))
    if (family === 0 || extra !== undefined || badPrefix) {
      throw new TypeError(`"allowFrom" option must list IP addresses or CIDR ranges; got ${JSON.stringify(entry)}`)
    }
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, bits, type)
  }
  return list
}

function isAllowed(list: BlockList, ip: string | undefined): boolean {
  const family = ip === undefined ? 0 : isIP(ip)
  return family !== 0 && list.check(ip!, family === 6 ? 'ipv6' : 'ipv4')
}

