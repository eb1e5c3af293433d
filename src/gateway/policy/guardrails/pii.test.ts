// Tests of the PII detectors: each kind's true positives and look-alikes that must stay quiet, checksums, spans,
// the kind registry, and adversarial megabytes.
//
// Card numbers are the networks' published test numbers; IBANs are the registry's example accounts.

import { describe, expect, it } from 'vitest';
import { cardBrand, cardsDetector, ibanChecksumValid, luhnValid, PII_KIND_NAMES, piiDetector } from './pii.js';
import type { Finding } from './types.js';

const pii = piiDetector();
const cards = cardsDetector();
const everything = piiDetector({ kinds: PII_KIND_NAMES });

/** `[rule, matched text, score]` of every finding. */
const found = (text: string, detector = everything): [string, string, number][] =>
  detector.scan(text).map((f: Finding) => [f.rule, text.slice(f.start, f.end), f.score]);
const rulesIn = (text: string): string[] => everything.scan(text).map((f) => f.rule);

describe('email', () => {
  it.each([
    ['write to jane.doe+news@acme.co.uk today', 'jane.doe+news@acme.co.uk'],
    ['<mailto:ops@sub.example-corp.io>', 'ops@sub.example-corp.io'],
    ['ends a sentence: bob_smith@mail.com.', 'bob_smith@mail.com'],
  ])('finds the address in %j', (text, email) => {
    expect(found(text)).toEqual([['email', email, 0.9]]);
  });

  it('scores reserved example domains low', () => {
    expect(found('user@example.com and a@b.test')).toEqual([
      ['email', 'user@example.com', 0.3],
      ['email', 'a@b.test', 0.3],
    ]);
  });

  it.each(['logo@2x.png', 'git@github.com:acme/app.git', 'https://deploy:hunter2@git.acme.io/app.git', 'ssh://jo@build.acme.io', 'npm i lodash@4.17.21', '@types/node', 'user@localhost', 'a@b', 'x@-bad-.com'])(
    'ignores %j',
    (text) => {
      expect(found(text).filter(([rule]) => rule === 'email')).toEqual([]);
    },
  );
});

describe('phone', () => {
  it.each([
    ['call +1 415 555 2671 now', '+1 415 555 2671', 0.9],
    ['E.164: +14155552671', '+14155552671', 0.9],
    ['UK: +44 (0)20 7946 0958', '+44 (0)20 7946 0958', 0.9],
    ['+49-30-1234567 (office)', '+49-30-1234567', 0.9],
    ['(415) 555-2671', '(415) 555-2671', 0.8],
    ['415-555-2671', '415-555-2671', 0.8],
    ['415.555.2671', '415.555.2671', 0.8],
    ['1-800-555-2671', '1-800-555-2671', 0.8],
    ['020 7946 0958', '020 7946 0958', 0.6],
    ['07700 900123', '07700 900123', 0.6],
    ['01 23 45 67 89', '01 23 45 67 89', 0.6],
  ])('finds %j', (text, phone, score) => {
    expect(found(text)).toEqual([['phone', phone, score]]);
  });

  it.each([
    'released 2024-01-15 at 12:30:45',
    'version 1.2.3 and 10.4.12.1003',
    'timestamp 1700000000000 and id 4155552671',
    'order #1234567890123',
    'took 01:30:00.250',
    'price 1,234,567.89',
    '415-555-26710', // too many digits
    '123-456-7890', // no NANP area code starts with 1
    '01-02-2024',
    '+1-800', // too short
    'const x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];',
  ])('ignores %j', (text) => {
    expect(found(text).filter(([rule]) => rule === 'phone')).toEqual([]);
  });
});

describe('payment cards', () => {
  it.each([
    ['visa', '4111 1111 1111 1111'],
    ['visa', '4111-1111-1111-1111'],
    ['visa', '4012888888881881'],
    ['mastercard', '5555 5555 5555 4444'],
    ['mastercard', '2223 0031 2200 3222'],
    ['amex', '3782 822463 10005'],
    ['amex', '371449635398431'],
    ['discover', '6011 1111 1111 1117'],
    ['jcb', '3530 1113 3330 0000'],
    ['diners', '3056 930902 5904'],
    ['unionpay', '6200000000000005'],
    ['maestro', '6759649826438453'],
  ])('finds a %s number (%s) with score 1', (brand, number) => {
    expect(cardBrand(number.replace(/\D/g, ''))).toBe(brand);
    expect(found(`pay with ${number} please`, cards)).toEqual([['card-number', number, 1]]);
  });

  it.each([
    ['fails Luhn', '4111 1111 1111 1112'],
    ['no network issues it', '9111 1111 1111 1116'],
    ['mixed separators', '4111 1111-1111 1111'],
    ['odd grouping', '41111 1111 1111 111'],
    ['part of a longer number', '14111111111111111'],
    ['too short', '4111 1111 1111'],
    ['a millisecond timestamp', '1700000000000'],
    ['a Discord snowflake', '1093217238174842890'],
  ])('ignores a number that %s: %s', (_why, text) => {
    expect(cards.scan(text)).toEqual([]);
  });

  it('checks Luhn sums', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });
});

describe('IBAN', () => {
  it.each([
    'DE89 3704 0044 0532 0130 00',
    'GB29 NWBK 6016 1331 9268 19',
    'GB29NWBK60161331926819',
    'FR14 2004 1010 0505 0001 3M02 606',
    'NL91 ABNA 0417 1643 00',
    'NO93 8601 1117 947',
    'MT84 MALT 0110 0001 2345 MTLC AST0 01S',
    'LC55 HEMM 0001 0001 0012 0012 0002 3015',
  ])('finds %s, checksum verified', (iban) => {
    expect(found(`IBAN: ${iban}, thanks`)).toEqual([['iban', iban, 1]]);
  });

  it.each([
    ['a wrong check digit', 'GB28 NWBK 6016 1331 9268 19'],
    ['a wrong length for the country', 'DE89 3704 0044 0532 0130 0'],
    ['an unknown country', 'ZZ89 3704 0044 0532 0130 00'],
    ['letters glued on', 'GB29NWBK60161331926819XYZ'],
    ['lower case', 'gb29 nwbk 6016 1331 9268 19'],
  ])('ignores one with %s', (_why, text) => {
    expect(rulesIn(text)).not.toContain('iban');
  });

  it('computes mod-97', () => {
    expect(ibanChecksumValid('DE89370400440532013000')).toBe(true);
    expect(ibanChecksumValid('DE88370400440532013000')).toBe(false);
  });

  it('is not also reported as a phone number', () => {
    expect(rulesIn('DE89 3704 0044 0532 0130 00')).toEqual(['iban']);
  });
});

describe('US SSN', () => {
  it('finds a dashed SSN', () => {
    expect(found('SSN 123-45-6789.')).toEqual([['us-ssn', '123-45-6789', 0.8]]);
  });

  it.each(['000-12-3456', '666-12-3456', '900-12-3456', '123-00-4567', '123-45-0000', '123-45-67890', '2024-01-15', '123456789', 'A123-45-6789'])(
    'ignores %s',
    (text) => {
      expect(rulesIn(text)).not.toContain('us-ssn');
    },
  );
});

describe('IP addresses', () => {
  it('scores public addresses above private, loopback and documentation ones', () => {
    expect(found('from 8.8.8.8 via 192.168.1.10, 10.0.0.1, 127.0.0.1, 203.0.113.5 and 0.0.0.0')).toEqual([
      ['ipv4', '8.8.8.8', 0.8],
      ['ipv4', '192.168.1.10', 0.3],
      ['ipv4', '10.0.0.1', 0.3],
      ['ipv4', '127.0.0.1', 0.3],
      ['ipv4', '203.0.113.5', 0.3],
      ['ipv4', '0.0.0.0', 0.3],
    ]);
  });

  it.each(['v1.2.3.4', 'version 10.0.0.1', 'OID 1.3.6.1.4.1.2021', '256.1.1.1', '1.2.3', '01.02.2024'])('ignores %j', (text) => {
    expect(rulesIn(text).filter((r) => r === 'ipv4')).toEqual([]);
  });

  it.each([
    ['2606:4700:4700::1111', 0.8],
    ['2a00:1450:4001:82a::200e', 0.8],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', 0.3],
    ['::1', 0.3],
    ['fe80::1ff:fe23:4567:890a', 0.3],
    ['fd12:3456:789a:1::1', 0.3],
    ['::ffff:192.0.2.128', 0.3],
    ['64:ff9b::8.8.8.8', 0.8],
  ])('finds IPv6 %s', (ip, score) => {
    expect(found(`host [${ip}]:443`)).toEqual([['ipv6', ip, score]]);
  });

  it.each(['std::vector<int>', 'Foo::Bar', 'a ::Face', '12:30:45', '00:1a:2b:3c:4d:5e', 'deadbeef', '1::2::3', '1:2:3:4:5:6:7:8:9', '::'])(
    'does not take %j for IPv6',
    (text) => {
      expect(rulesIn(text).filter((r) => r === 'ipv6')).toEqual([]);
    },
  );
});

describe('registry and factories', () => {
  it('lists every kind once', () => {
    expect([...PII_KIND_NAMES].sort()).toEqual(['card', 'email', 'iban', 'ipv4', 'ipv6', 'phone', 'ssn']);
  });

  it('leaves cards to cardsDetector by default', () => {
    const text = 'card 4111 1111 1111 1111, mail jo@acme.io';
    expect(pii.type).toBe('pii');
    expect(cards.type).toBe('pii');
    expect(found(text, pii).map(([rule]) => rule)).toEqual(['email']);
    expect(found(text, cards).map(([rule]) => rule)).toEqual(['card-number']);
  });

  it('reports only the kinds asked for', () => {
    const text = 'jo@acme.io 8.8.8.8 +1 415 555 2671';
    expect(found(text, piiDetector({ kinds: ['ipv4'] }))).toEqual([['ipv4', '8.8.8.8', 0.8]]);
  });

  it('returns non-overlapping findings in order', () => {
    const text = [
      'Jo Park <jo.park@acme.io>, +44 20 7946 0958, SSN 219-09-9999',
      'card 5555-5555-5555-4444 IBAN GB29 NWBK 6016 1331 9268 19',
      'server 93.184.216.34 / 2606:2800:220:1:248:1893:25c8:1946',
    ].join('\n');
    const findings = everything.scan(text);
    expect(findings.map((f) => f.rule)).toEqual(['email', 'phone', 'us-ssn', 'card-number', 'iban', 'ipv4', 'ipv6']);
    for (let i = 1; i < findings.length; i++) expect(findings[i - 1]!.end).toBeLessThanOrEqual(findings[i]!.start);
  });
});

describe('on megabytes', () => {
  const MB = 1_000_000;
  const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length));

  it.each(['a', '@', 'a@', 'a.b@c.', '1', '1 ', '1-', '+1 ', '+1', '(0', '0 ', '::', 'a:', '1.', 'DE89 ', 'DE89', '4111 ', '123-45-'])(
    'finishes on 1 MB of %j',
    (unit) => {
      expect(Array.isArray(everything.scan(fill(unit)))).toBe(true);
    },
  );

  it('scans 1 MB of ordinary prose with contact details', () => {
    const paragraph = 'Hi team, the build on 2024-06-03 (v2.14.1) failed at 12:30:45. Ping jo.park@acme.io or call +1 415 555 2671; the box is 10.0.0.12.\n';
    const findings = everything.scan(fill(paragraph));
    expect(findings.length).toBeGreaterThan(0);
    expect(new Set(findings.map((f) => f.rule))).toEqual(new Set(['email', 'phone', 'ipv4']));
  });
});
