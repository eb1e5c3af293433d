// The sortable table's ordering and the report chart's words: the pure parts, tested in Node.
import { describe, expect, it } from 'vitest';
import { chartSummary, chartValue } from './ReportChart';
import { nextSort, sortRows } from './VirtualTable';

describe('sortRows', () => {
  const rows = [
    { id: 'a', n: 3, s: 'beta' },
    { id: 'b', n: null, s: 'alpha' },
    { id: 'c', n: 10, s: 'Gamma' },
    { id: 'd', n: 3, s: 'alpha' },
  ];
  it('orders numbers as numbers and text by locale, stable, empty values last either way', () => {
    expect(sortRows(rows, (r) => r.n, 'asc').map((r) => r.id)).toEqual(['a', 'd', 'c', 'b']);
    expect(sortRows(rows, (r) => r.n, 'desc').map((r) => r.id)).toEqual(['c', 'a', 'd', 'b']);
    expect(sortRows(rows, (r) => r.s, 'asc').map((r) => r.id)).toEqual(['b', 'd', 'a', 'c']);
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
  });
  it('cycles a header through ascending, descending and the rows as given', () => {
    expect(nextSort(null, 'cost')).toEqual({ column: 'cost', direction: 'asc' });
    expect(nextSort({ column: 'cost', direction: 'asc' }, 'cost')).toEqual({ column: 'cost', direction: 'desc' });
    expect(nextSort({ column: 'cost', direction: 'desc' }, 'cost')).toBeNull();
    expect(nextSort({ column: 'cost', direction: 'desc' }, 'latency')).toEqual({ column: 'latency', direction: 'asc' });
  });
});

describe('chartSummary', () => {
  it('names the largest bars with their values, markup left as text', () => {
    expect(chartSummary(['gpt-4o', '<b>x</b>', 'idle', 'claude'], [1.5, 0.25, 0, 0.5], 'usd')).toBe('3 bars; largest: gpt-4o $1.50, claude $0.50, <b>x</b> $0.25');
    expect(chartSummary(['every__echo'], [12], 'calls')).toBe('1 bar; largest: every__echo 12 calls');
    expect(chartSummary([], [], 'usd')).toBe('nothing to show');
    expect(chartValue('usd', 0.0012)).toBe('$0.0012');
  });
});
