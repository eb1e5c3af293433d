// A virtualised table: one-line rows of fixed height, a sticky header, only the rows in view in the
// DOM. Keyboard: arrows move the active row, Enter opens it; reaching the end asks for more.
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { visibleRange } from './windowing';

export interface Column<R> {
  id: string;
  header: string;
  /** CSS grid track, e.g. `6rem` or `1fr`. */
  width: string;
  align?: 'left' | 'right';
  cell(row: R): ReactNode;
}

const ROW = 28;

export function VirtualTable<R>({
  label,
  columns,
  rows,
  rowKey,
  selectedKey,
  onOpen,
  onEndReached,
}: {
  label: string;
  columns: Column<R>[];
  rows: R[];
  rowKey(row: R): string;
  selectedKey?: string | null;
  onOpen(row: R): void;
  onEndReached?(): void;
}) {
  const body = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const [active, setActive] = useState(0);
  const template = columns.map((c) => c.width).join(' ');

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
        {columns.map((c) => (
          <div key={c.id} role="columnheader" className={c.align === 'right' ? 'num' : undefined}>
            {c.header}
          </div>
        ))}
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
