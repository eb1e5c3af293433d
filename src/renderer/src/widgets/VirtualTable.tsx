// A virtualised table: one-line rows of fixed height, a sticky header, only the rows in view in the
// DOM. Keyboard: arrows move the active row, Enter opens it; reaching the end asks for more. Columns
// with a sort value sort by their header (ascending, descending, then the rows' own order).
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { visibleRange } from './windowing';

export type SortDirection = 'asc' | 'desc';
export interface SortState {
  column: string;
  direction: SortDirection;
}
export type SortValue = string | number | null | undefined;

/** Rows ordered by one value, stable; empty values (null, undefined) last either way. */
export function sortRows<R>(rows: readonly R[], value: (row: R) => SortValue, direction: SortDirection): R[] {
  const sign = direction === 'asc' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: value(row) }))
    .sort((a, b) => {
      const an = a.v === null || a.v === undefined;
      const bn = b.v === null || b.v === undefined;
      if (an || bn) return an === bn ? a.i - b.i : an ? 1 : -1;
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return c === 0 ? a.i - b.i : sign * c;
    })
    .map((x) => x.row);
}

/** What a click on a sortable header does next: ascending, descending, then unsorted. */
export function nextSort(current: SortState | null, column: string): SortState | null {
  if (current?.column !== column) return { column, direction: 'asc' };
  return current.direction === 'asc' ? { column, direction: 'desc' } : null;
}

export interface Column<R> {
  id: string;
  header: string;
  /** CSS grid track, e.g. `6rem` or `1fr`. */
  width: string;
  align?: 'left' | 'right';
  cell(row: R): ReactNode;
  /** Makes the column sortable by this value (its header becomes a button). */
  sortValue?(row: R): SortValue;
}

const ROW = 28;

export function VirtualTable<R>({
  label,
  columns,
  rows: given,
  rowKey,
  selectedKey,
  onOpen,
  onEndReached,
  initialSort = null,
}: {
  label: string;
  columns: Column<R>[];
  rows: R[];
  rowKey(row: R): string;
  selectedKey?: string | null;
  onOpen(row: R): void;
  onEndReached?(): void;
  /** The order before any header is clicked; default: the rows as given. */
  initialSort?: SortState | null;
}) {
  const body = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const [active, setActive] = useState(0);
  const template = columns.map((c) => c.width).join(' ');
  const [sort, setSort] = useState<SortState | null>(initialSort);
  const sortValue = sort ? columns.find((c) => c.id === sort.column)?.sortValue : undefined;
  // Sorted again when the rows or the order change, not on every render (scrolling renders too).
  const rows = useMemo(() => (sort && sortValue ? sortRows(given, sortValue, sort.direction) : given), [given, sort]);

  useLayoutEffect(() => {
    const el = body.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  const { start, end } = visibleRange(scrollTop, height, ROW, rows.length);
  useEffect(() => {
    if (onEndReached && rows.length > 0 && end >= rows.length - 5) onEndReached();
  }, [end, rows.length, onEndReached]);

  const moveTo = (i: number): void => {
    const next = Math.max(0, Math.min(rows.length - 1, i));
    setActive(next);
    const el = body.current;
    if (!el) return;
    if (next * ROW < el.scrollTop) el.scrollTop = next * ROW;
    else if ((next + 1) * ROW > el.scrollTop + el.clientHeight) el.scrollTop = (next + 1) * ROW - el.clientHeight;
  };
  const onKey = (e: KeyboardEvent): void => {
    const page = Math.max(1, Math.floor(height / ROW) - 1);
    const moves: Record<string, number> = { ArrowDown: active + 1, ArrowUp: active - 1, PageDown: active + page, PageUp: active - page, Home: 0, End: rows.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      moveTo(moves[e.key]!);
    } else if (e.key === 'Enter' && rows[active]) {
      e.preventDefault();
      onOpen(rows[active]!);
    }
  };
  const activeId = rows[active] ? `row-${rowKey(rows[active]!)}` : undefined;

  return (
    <div className="vtable" role="table" aria-label={label} aria-rowcount={rows.length + 1}>
      <div className="vtable-head" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((c) => {
          const direction = sort?.column === c.id ? sort.direction : undefined;
          return (
            <div
              key={c.id}
              role="columnheader"
              className={c.align === 'right' ? 'num' : undefined}
              aria-sort={c.sortValue ? (direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : 'none') : undefined}
            >
              {c.sortValue ? (
                <button type="button" className="vtable-sort" aria-label={`Sort by ${c.header}`} onClick={() => setSort(nextSort(sort, c.id))}>
                  {c.header}
                  <span aria-hidden="true">{direction === 'asc' ? ' ▲' : direction === 'desc' ? ' ▼' : ''}</span>
                </button>
              ) : (
                c.header
              )}
            </div>
          );
        })}
      </div>
      <div
        ref={body}
        className="vtable-body"
        tabIndex={0}
        role="rowgroup"
        aria-label={`${label}: arrow keys move, Enter opens`}
        aria-activedescendant={activeId}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        onKeyDown={onKey}
      >
        <div style={{ height: rows.length * ROW, position: 'relative' }}>
          {rows.slice(start, end).map((row, i) => {
            const index = start + i;
            const key = rowKey(row);
            return (
              <div
                key={key}
                id={`row-${key}`}
                role="row"
                aria-rowindex={index + 2}
                aria-selected={key === selectedKey}
                className={`vtable-row${index === active ? ' active' : ''}${key === selectedKey ? ' selected' : ''}`}
                style={{ top: index * ROW, height: ROW, gridTemplateColumns: template }}
                onClick={() => {
                  setActive(index);
                  onOpen(row);
                }}
              >
                {columns.map((c) => (
                  <div key={c.id} role="cell" className={c.align === 'right' ? 'num' : undefined}>
                    {c.cell(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
