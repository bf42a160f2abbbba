/**
 * Which requests to a tracked link or open image are software, not a reader — decided from the
 * request alone (method, User-Agent, address). The timing rules (a click seconds after delivery,
 * every link of a message within a second) need stored times and live in the click store.
 *
 * The table is deliberately small and names its source; README.md ("What readers did with it")
 * explains why machine requests are counted apart instead of dropped. Security gateways often
 * send ordinary browser User-Agents, so the networks matter as much as the names.
 */
import { BlockList, isIP } from 'node:net';

/** One known source of machine requests. */
export interface ScannerEntry {
  /** Who it is, for the table and tests. */
  name: string;
  /** Case-insensitive substrings of the User-Agent that identify it. */
  userAgents: readonly string[];
  /** Networks (CIDR) it fetches from, as its operator documents them. */
  networks: readonly string[];
  /** `opens`: only its image fetches are machine (its clicks are a person's, e.g. Apple's relay). */
  only?: 'opens';
  /** Where the entry comes from. */
  source: string;
}

/**
 * Known scanners and proxies. Networks are the vendors' published mail-filtering ranges; User-Agent
 * fragments are the ones these services are seen to send. Extend it here (with a source) when a new
 * gateway shows up in the machine counts' reasons.
 */
export const SCANNERS: readonly ScannerEntry[] = [
  {
    name: 'Microsoft Defender for Office 365 (Safe Links) / Exchange Online Protection',
    userAgents: ['bingpreview', 'microsoft-urlanalyzer', 'safelinks'],
    networks: ['40.92.0.0/15', '40.107.0.0/16', '52.100.0.0/14', '104.47.0.0/17', '2a01:111:f400::/48', '2a01:111:f403::/48'],
    source: 'learn.microsoft.com: Microsoft 365 URLs and IP address ranges, Exchange Online (EOP)',
  },
  {
    name: 'Proofpoint URL Defense',
    userAgents: ['proofpoint'],
    networks: ['148.163.128.0/19', '67.231.144.0/20'],
    source: 'Proofpoint protection server (pphosted.com) ranges',
  },
  {
    name: 'Mimecast URL Protect',
    userAgents: ['mimecast'],
    networks: ['205.139.110.0/24', '216.205.24.0/24', '207.211.30.0/24', '170.10.128.0/22', '91.220.42.0/24', '185.58.84.0/22', '195.130.217.0/24'],
    source: 'Mimecast IP ranges (community.mimecast.com), AS34440',
  },
  {
    name: 'Barracuda Email Security (Link Protection)',
    userAgents: ['barracuda'],
    networks: ['64.235.144.0/20', '209.222.80.0/21'],
    source: 'campus.barracuda.com: Barracuda Email Security Service IP ranges',
  },
  {
    name: 'Cisco Secure Email, Trend Micro, Fortinet, Sophos, Symantec gateways',
    userAgents: ['ironport', 'ciscosecureemail', 'tmes', 'trendmicro', 'fortimail', 'fortiguard', 'sophos', 'symantec', 'forcepoint'],
    networks: [],
    source: 'User-Agent fragments these gateways send',
  },
  {
    name: 'Apple Mail Privacy Protection',
    userAgents: [],
    networks: ['17.0.0.0/8'],
    only: 'opens',
    source: 'support.apple.com: Mail Privacy Protection loads remote content privately through Apple proxies (Apple-owned 17.0.0.0/8)',
  },
  {
    name: 'Link previews, crawlers and HTTP libraries',
    userAgents: ['bot', 'crawler', 'spider', 'preview', 'facebookexternalhit', 'whatsapp', 'slack', 'curl/', 'wget/', 'python-requests', 'python-urllib', 'go-http-client', 'java/', 'okhttp', 'headlesschrome', 'phantomjs', 'scanner'],
    networks: [],
    source: 'self-declared automated clients',
  },
];

/** What the classifier sees of a request. */
export interface TrackedRequest {
  method: string;
  userAgent: string | undefined;
  /** The client's address as the server believes it (TRUST_PROXY decides X-Forwarded-For). */
  ip: string;
  /** A link click or an open-image fetch. */
  kind: 'click' | 'open';
}

/** A request-level decision: `machine` with the reason, or not (yet: timing rules may still say machine). */
export type RequestVerdict = { machine: false } | { machine: true; reason: string };

/** A classifier over a scanner table (default {@link SCANNERS}), built once per process. */
export function createRequestClassifier(table: readonly ScannerEntry[] = SCANNERS): (req: TrackedRequest) => RequestVerdict {
  const compiled = table.map((entry) => {
    const blocks = new BlockList();
    for (const cidr of entry.networks) {
      const [net, bits] = cidr.split('/') as [string, string];
      blocks.addSubnet(net, Number(bits), isIP(net) === 6 ? 'ipv6' : 'ipv4');
    }
    return { entry, blocks, agents: entry.userAgents.map((a) => a.toLowerCase()) };
  });
  return (req) => {
    if (req.method === 'HEAD') return { machine: true, reason: 'HEAD request' };
    const ua = (req.userAgent ?? '').trim().toLowerCase();
    if (ua === '') return { machine: true, reason: 'no User-Agent' };
    const family = isIP(normalizeIp(req.ip));
    for (const { entry, blocks, agents } of compiled) {
      if (entry.only === 'opens' && req.kind !== 'open') continue;
      if (agents.some((a) => ua.includes(a))) return { machine: true, reason: entry.name };
      if (family && entry.networks.length && blocks.check(normalizeIp(req.ip), family === 6 ? 'ipv6' : 'ipv4')) return { machine: true, reason: entry.name };
    }
    return { machine: false };
  };
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) as `1.2.3.4`. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}
