// Areas not built yet: what they will hold, and the command to use meanwhile.
import { EmptyState } from '../widgets/EmptyState';

export interface PlannedArea {
  holds: string;
  meanwhile: string;
  command: string;
}

export function Planned({ title, area }: { title: string; area: PlannedArea }) {
  return (
    <section aria-labelledby="area-title">
      <h1 id="area-title">{title}</h1>
      <EmptyState title={`${title} is coming to the console`}>
        <p>{area.holds}</p>
        <p>
          {area.meanwhile} <code className="mono">{area.command}</code>
        </p>
      </EmptyState>
    </section>
  );
}
