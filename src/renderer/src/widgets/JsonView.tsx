// JSON shown as text (never markup): pretty-printed, long strings folded behind "show all", paths and URLs highlighted.
import { useMemo, useState } from 'react';
import { jsonLines } from './json';

export function JsonView({ value, label }: { value: unknown; label: string }) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const lines = useMemo(() => jsonLines(value, expanded), [value, expanded]);
  return (
    <div className="json" role="group" aria-label={label}>
      {lines.map((line, i) => (
        <div key={i} className="json-line" style={{ paddingLeft: `${line.indent * 1.5}ch` }}>
          {line.tokens.map((t, j) => {
            if (t.kind === 'string') {
              return (
                <span key={j}>
                  <span className={t.link ? 'j-string j-link' : 'j-string'}>{t.text}</span>
                  {t.full !== undefined && (
                    <button type="button" className="link small" onClick={() => setExpanded(new Set([...expanded, t.path]))} aria-label={`Show all of ${t.path}`}>
                      show all
                    </button>
                  )}
                </span>
              );
            }
            return (
              <span key={j} className={`j-${t.kind}`}>
                {t.text}
              </span>
            );
          })}
        </div>
      ))}
    </div>
  );
}
