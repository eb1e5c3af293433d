// The PII detectors: personal data (emails, phone numbers, payment cards, IBANs, US SSNs, IP addresses) found by
// shape and, where the format has one, by checksum. Each kind lives in one registry entry below.
//
// Decisions:
// - Cards need 13-19 digits in the usual groupings, a known issuer range, and a valid Luhn sum (so UnionPay cards
//   that skip Luhn are missed, in exchange for fewer false positives); they have their own factory because the
//   config acts on cards apart from other PII.
// - Phones: `+` international numbers (8-15 digits), NANP numbers with separators, and trunk-0 national numbers
//   with separators. Bare digit runs are not phones: they are far more often ids, timestamps or amounts.
// - SSNs only in the dashed `AAA-GG-SSSS` form, with the SSA's area/group/serial rules.
// - IPs: loopback, private, link-local, documentation and other reserved addresses are reported with a low score
//   (they reveal little), public ones with a higher one. A dotted quad right after `v`/`version` is a version.
// - Emails at reserved domains (example.com, .test, .invalid, localhost) get a low score; `name@2x.png`-style
//   file names, `git@host` SSH remotes and the `user:password@host` of URLs are not emails.
// - IBANs only in capitals, compact or in groups of four.

import type { Detector, DetectorFactory, Finding } from './types.js';

interface PiiMatch {
  start: number;
  end: number;
  score: number;
}

interface PiiKindSpec {
  /** The stable rule id of its findings. */
  rule: string;
  /** On overlap the higher rank wins (checksummed kinds first). */
  rank: number;
  find(text: string): PiiMatch[];
}

const PII_KINDS = {
  card: { rule: 'card-number', rank: 5, find: findCards },
  iban: { rule: 'iban', rank: 5, find: findIbans },
  ssn: { rule: 'us-ssn', rank: 4, find: findSsns },
  email: { rule: 'email', rank: 3, find: findEmails },
  ipv6: { rule: 'ipv6', rank: 2, find: findIpv6 },
  ipv4: { rule: 'ipv4', rank: 2, find: findIpv4 },
  phone: { rule: 'phone', rank: 1, find: findPhones },
} satisfies Record<string, PiiKindSpec>;

export type PiiKind = keyof typeof PII_KINDS;

export const PII_KIND_NAMES = Object.keys(PII_KINDS) as PiiKind[];

export interface PiiOptions {
  /** Which kinds to report; default every kind but `card` (which `cardsDetector` reports). */
  kinds?: readonly PiiKind[];
}

export const piiDetector: DetectorFactory<PiiOptions> = (options = {}) =>
  detectorFor(options.kinds ?? PII_KIND_NAMES.filter((k) => k !== 'card'));

/** Payment card numbers alone (rule `card-number`), for the config's separate `cards` action. */
export const cardsDetector: DetectorFactory = () => detectorFor(['card']);

function detectorFor(kinds: readonly PiiKind[]): Detector {
  const specs: PiiKindSpec[] = [...new Set(kinds)].map((k) => PII_KINDS[k]);
  return {
    type: 'pii',
    scan(text: string): Finding[] {
      const found: Ranked[] = [];
      for (const spec of specs) {
        for (const m of spec.find(text)) found.push({ type: 'pii', rule: spec.rule, ...m, rank: spec.rank });
      }
      return keepMostSpecific(found).map(({ rank: _rank, ...finding }) => finding);
    },
  };
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWordChar = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

// ---- payment cards ----------------------------------------------------------------------------------------------

/** 13-19 digits, optionally separated by single spaces or dashes, not inside a longer number. */
const CARD_CANDIDATE = /(?<![\d-]|\d[ -])\d(?:[ -]?\d){12,18}(?![ -]?\d)/g;

function findCards(text: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  for (const m of text.matchAll(CARD_CANDIDATE)) {
    const raw = m[0];
    const digits = raw.replace(/[ -]/g, '');
    if (!hasCardGrouping(raw) || !cardBrand(digits) || !luhnValid(digits)) continue;
    out.push({ start: m.index, end: m.index + raw.length, score: 1 });
  }
  return out;
}

/** Unseparated, or grouped as cards are printed: 4-4-4-4(-3), 4-6-4 (Diners), 4-6-5 (Amex). */
function hasCardGrouping(raw: string): boolean {
  const seps = raw.match(/[ -]/g);
  if (!seps) return true;
  if (new Set(seps).size > 1) return false;
  const sizes = raw.split(/[ -]/).map((g) => g.length).join(',');
  return /^4,(?:4,)*[1-4]$/.test(sizes) || sizes === '4,6,4' || sizes === '4,6,5';
}

/** Issuer by IIN range and length; undefined when no known network issues such a number. */
export function cardBrand(d: string): string | undefined {
  const n = d.length;
  const p = (len: number): number => Number(d.slice(0, len));
  if (d.startsWith('4') && (n === 13 || n === 16 || n === 19)) return 'visa';
  if (((p(2) >= 51 && p(2) <= 55) || (p(4) >= 2221 && p(4) <= 2720)) && n === 16) return 'mastercard';
  if ((p(2) === 34 || p(2) === 37) && n === 15) return 'amex';
  if ((p(4) === 6011 || (p(3) >= 644 && p(3) <= 649) || p(2) === 65 || (p(6) >= 622126 && p(6) <= 622925)) && n >= 16) return 'discover';
  if (p(4) >= 3528 && p(4) <= 3589 && n >= 16) return 'jcb';
  if (((p(3) >= 300 && p(3) <= 305) || p(4) === 3095 || p(2) === 36 || p(2) === 38 || p(2) === 39) && n >= 14) return 'diners';
  if (p(2) === 62 && n >= 16) return 'unionpay';
  if ([5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763].includes(p(4))) return 'maestro';
  return undefined;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let v = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
    sum += v;
  }
  return sum % 10 === 0;
}

// ---- IBAN -------------------------------------------------------------------------------------------------------

/** IBAN length per country, from the SWIFT IBAN registry. */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30,
  KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20,
  MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22,
  RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

const IBAN_START = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}/g;

/** Compact (`DE89370400440532013000`) or printed in groups of four (`DE89 3704 0044 …`), mod-97 verified. */
function findIbans(text: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  for (const m of text.matchAll(IBAN_START)) {
    const length = IBAN_LENGTHS[m[0].slice(0, 2)];
    if (!length) continue;
    let chars = '';
    let i = m.index;
    while (i < text.length && chars.length < length) {
      const c = text.charAt(i);
      if (/[A-Z0-9]/.test(c)) chars += c;
      else if (c !== ' ' || chars.length % 4 !== 0 || !/[A-Z0-9]/.test(text.charAt(i + 1))) break;
      i++;
    }
    if (chars.length !== length || /[A-Za-z0-9]/.test(text.charAt(i))) continue;
    if (ibanChecksumValid(chars)) out.push({ start: m.index, end: i, score: 1 });
  }
  return out;
}

export function ibanChecksumValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48; // A=10 … Z=35
    rest = value >= 10 ? (rest * 100 + value) % 97 : (rest * 10 + value) % 97;
  }
  return rest === 1;
}

// ---- US SSN -----------------------------------------------------------------------------------------------------

const SSN = /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])/g;

/** Never issued: area 000, 666 or 9xx; group 00; serial 0000. */
function findSsns(text: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  for (const m of text.matchAll(SSN)) {
    const [whole, area = '', group = '', serial = ''] = m;
    if (area === '000' || area === '666' || area.startsWith('9') || group === '00' || serial === '0000') continue;
    out.push({ start: m.index, end: m.index + whole.length, score: 0.8 });
  }
  return out;
}

// ---- email ------------------------------------------------------------------------------------------------------

const isLocalChar = (c: number): boolean => isWordChar(c) || c === 46 || c === 37 || c === 43 || c === 45; // . % + -
const isDomainChar = (c: number): boolean => isWordChar(c) || c === 46 || c === 45;
/** `name@2x.png`: the "TLD" is a file extension, not a domain. */
const FILE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'bmp', 'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'css', 'scss', 'json', 'map', 'txt', 'md', 'html', 'py', 'rb', 'go', 'rs']);
const RESERVED_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)$/i;

/** Found from each `@` outwards, so a scan is linear in the text. */
function findEmails(text: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let s = at;
    while (s > 0 && at - s < 64 && isLocalChar(text.charCodeAt(s - 1))) s--;
    if (s > 0 && isLocalChar(text.charCodeAt(s - 1))) continue; // local part longer than 64
    while (s < at && text.charAt(s) === '.') s++;
    if (s === at || text.charAt(at - 1) === '.') continue;
    if (/:\/\/[^\s/@]*$/.test(text.slice(Math.max(0, s - 100), s))) continue; // userinfo of a URL, not a mailbox
    let e = at + 1;
    while (e < text.length && e - at <= 253 && isDomainChar(text.charCodeAt(e))) e++;
    while (e > at + 1 && /[.-]/.test(text.charAt(e - 1))) e--; // a sentence's full stop
    const domain = text.slice(at + 1, e);
    const labels = domain.split('.');
    const tld = labels[labels.length - 1] ?? '';
    if (labels.length < 2 || !/^[A-Za-z]{2,24}$/.test(tld) || FILE_EXTENSIONS.has(tld.toLowerCase())) continue;
    if (!labels.every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))) continue;
    if (text.slice(s, at) === 'git' && text.charAt(e) === ':') continue; // git@github.com:org/repo
    out.push({ start: s, end: e, score: RESERVED_DOMAIN.test(domain) ? 0.3 : 0.9 });
  }
  return out;
}

// ---- phone numbers ----------------------------------------------------------------------------------------------

// Every pattern is a fixed shape, or has maximal digit groups (`\d{1,8}(?!\d)`) split by separators, so it cannot
// backtrack far.
/** `+<country> …`: separated groups (a `(0)` trunk allowed), or E.164 written without separators. */
const INTERNATIONAL =
  /(?<![\w+])\+[1-9]\d{0,3}(?!\d)(?:[ .-]?\(\d{1,4}\)[ .-]?\d{1,8}(?!\d)|[ .-]\d{1,8}(?!\d)){1,6}(?![\w]|[ .-]?\d)|(?<![\w+])\+[1-9]\d{7,14}(?![\w])/g;
/** NANP: (415) 555-2671, 415-555-2671, 415.555.2671, with an optional leading 1. */
const NANP = /(?<![\w.+-]|\d[ .-])(?:1[ .-]?)?(?:\([2-9]\d{2}\) ?[2-9]\d{2}[ .-]\d{4}|[2-9]\d{2}([ .-])[2-9]\d{2}\1\d{4})(?![\w]|[.-]\d)/g;
/** National numbers with a trunk 0: 020 7946 0958, 07700 900123, 01 23 45 67 89, (030) 1234 5678. */
const NATIONAL = /(?<![\w.+/-]|\d[ -])(?:\(0\d{1,4}\) ?|0\d{1,4}[ -])\d{2,6}(?!\d)(?:[ -]\d{2,6}(?!\d)){0,3}(?![\w]|[ .-]?\d)/g;

function findPhones(text: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  for (const m of text.matchAll(INTERNATIONAL)) {
    const digits = m[0].replace(/\(0\)/, '').replace(/\D/g, '').length;
    if (digits >= 8 && digits <= 15) out.push({ start: m.index, end: m.index + m[0].length, score: 0.9 });
  }
  for (const m of text.matchAll(NANP)) out.push({ start: m.index, end: m.index + m[0].length, score: 0.8 });
  for (const m of text.matchAll(NATIONAL)) {
    const digits = m[0].replace(/\D/g, '').length;
    const seps = new Set(m[0].replace(/^\(0\d+\) ?/, '').match(/[ -]/g));
    if (digits >= 10 && digits <= 11 && seps.size <= 1) out.push({ start: m.index, end: m.index + m[0].length, score: 0.6 });
  }
  return out;
}

// ---- IP addresses -----------------------------------------------------------------------------------------------

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g');
const WHOLE_IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const VERSION_BEFORE = /(?:\bv|\bversion|\bver\.?)\s*$/i;

function findIpv4(text: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  for (const m of text.matchAll(IPV4)) {
    if (VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 10), m.index))) continue;
    out.push({ start: m.index, end: m.index + m[0].length, score: isPublicIpv4(m[0]) ? 0.8 : 0.3 });
  }
  return out;
}

function isPublicIpv4(ip: string): boolean {
  const [a = 0, b = 0, c = 0] = ip.split('.').map(Number);
  return !(
    a === 0 || a === 10 || a === 127 || a >= 224 || // this network, private, loopback, multicast and reserved
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF, TEST-NET-1
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) || // TEST-NET-2
    (a === 203 && b === 0 && c === 113) // TEST-NET-3
  );
}

const isIpv6RunChar = (c: number): boolean =>
  (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46; // [0-9A-Fa-f:.]

/**
 * Maximal runs of hex digits, colons and dots that hold a colon; each is parsed once, so the scan is linear. Found
 * from each colon (a run without one is never an address, and most words are such runs).
 */
function findIpv6(text: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  let colon = text.indexOf(':');
  while (colon >= 0) {
    let start = colon;
    while (start > 0 && isIpv6RunChar(text.charCodeAt(start - 1))) start--;
    let end = colon + 1;
    while (end < text.length && isIpv6RunChar(text.charCodeAt(end))) end++;
    colon = text.indexOf(':', end); // the next run's
    if (end - start < 3) continue;
    // Part of a word: std::dec, Foo::Bad (outside the text, charCodeAt gives NaN: no word character).
    if (isWordChar(text.charCodeAt(start - 1)) || isWordChar(text.charCodeAt(end))) continue;
    let run = text.slice(start, end);
    if (run.endsWith('.')) run = run.slice(0, -1);
    if (run.endsWith(':') && !run.endsWith('::')) run = run.slice(0, -1);
    const groups = ipv6Groups(run);
    if (!groups) continue;
    out.push({ start, end: start + run.length, score: isPublicIpv6(groups) ? 0.8 : 0.3 });
  }
  return out;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, an IPv4 tail converted), or undefined. */
function ipv6Groups(s: string): number[] | undefined {
  if (s.length > 45) return undefined;
  let body = s;
  const tail = s.slice(s.lastIndexOf(':') + 1);
  const extra: number[] = [];
  if (tail.includes('.')) {
    if (!WHOLE_IPV4.test(tail)) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    extra.push(a * 256 + b, c * 256 + d);
    body = s.slice(0, s.length - tail.length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const gs = part.split(':');
    return gs.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g)) ? gs.map((g) => parseInt(g, 16)) : undefined;
  };
  const double = body.indexOf('::');
  if (double >= 0) {
    if (body.indexOf('::', double + 1) >= 0) return undefined;
    const left = parse(body.slice(0, double));
    const right = parse(body.slice(double + 2));
    if (!left || !right) return undefined;
    const present = left.length + right.length + extra.length;
    // `::` alone, or one group beside it (`::Face`, `Dead::`), is far more often code than an address; `::1` is kept.
    if (present > 7 || (present < 2 && s !== '::1')) return undefined;
    return [...left, ...new Array<number>(8 - present).fill(0), ...right, ...extra];
  }
  const all = parse(body);
  return all && all.length + extra.length === 8 ? [...all, ...extra] : undefined;
}

function isPublicIpv6(g: number[]): boolean {
  const first = g[0] ?? 0;
  const allZeroBefore = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (allZeroBefore(7)) return false; // :: and ::1
  if (allZeroBefore(5) && g[5] === 0xffff) return false; // IPv4-mapped: judged as IPv4 would be, simply low
  if ((first & 0xfe00) === 0xfc00) return false; // unique local fc00::/7
  if ((first & 0xffc0) === 0xfe80) return false; // link-local fe80::/10
  if ((first & 0xff00) === 0xff00) return false; // multicast
  return !(first === 0x2001 && g[1] === 0x0db8); // documentation 2001:db8::/32
}

// ---- overlaps ---------------------------------------------------------------------------------------------------

interface Ranked extends Finding {
  rank: number;
}

/** Keeps, of overlapping findings, the higher-ranked (then longer) one; clusters keep the work linear. */
function keepMostSpecific(found: Ranked[]): Ranked[] {
  const byStart = [...found].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Ranked[] = [];
  let cluster: Ranked[] = [];
  let clusterEnd = -1;
  const flush = (): void => {
    cluster.sort((a, b) => b.rank - a.rank || b.end - b.start - (a.end - a.start) || b.score - a.score);
    const chosen: Ranked[] = [];
    for (const c of cluster) if (!chosen.some((k) => c.start < k.end && k.start < c.end)) chosen.push(c);
    kept.push(...chosen.sort((a, b) => a.start - b.start));
    cluster = [];
  };
  for (const f of byStart) {
    if (f.start >= clusterEnd) {
      flush();
      clusterEnd = f.end;
    } else clusterEnd = Math.max(clusterEnd, f.end);
    cluster.push(f);
  }
  flush();
  return kept;
}
