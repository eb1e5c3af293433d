// A budget bar: spent (solid), reserved (hatched), the limit at the end, and when it resets.
import type { BudgetMeter } from '../../../shared/contract';
import { meterLevel } from '../stores/budgets';
import { absolute, span, usd } from './format';

const WINDOW_WORD: Record<BudgetMeter['window'], string> = { day: 'per day', week: 'per week', month: 'per month', total: 'in total' };

export function Meter({ meter, now, onOpen }: { meter: BudgetMeter; now: number; onOpen?: () => void }) {
  const { spent, reserved, level } = meterLevel(meter);
  const name = `${meter.kind === 'global' ? 'Gateway' : `${meter.kind} ${meter.name}`}, ${usd(meter.limitUsd)} ${WINDOW_WORD[meter.window]}`;
  const resets = meter.resetsAt ? `resets in ${span(Date.parse(meter.resetsAt) - now)}` : 'never resets';
  return (
    <div className={`meter meter-${level}`}>
      <div className="meter-head">
        <span className="meter-name">
          <span className="chip">{meter.kind}</span> {meter.kind === 'global' ? 'all traffic' : meter.name} <span className="muted">{WINDOW_WORD[meter.window]}</span>
        </span>
        <span className="num">
          {usd(meter.spentUsd)} <span className="muted">of {usd(meter.limitUsd)}</span>
        </span>
      </div>
      <div
        className="meter-bar"
        role="meter"
        aria-label={name}
        aria-valuemin={0}
        aria-valuemax={meter.limitUsd}
        aria-valuenow={meter.spentUsd}
        aria-valuetext={`${usd(meter.spentUsd)} spent, ${usd(meter.reservedUsd)} reserved, of ${usd(meter.limitUsd)}`}
      >
        <span className="meter-spent" style={{ width: `${spent * 100}%` }} />
        <span className="meter-reserved" style={{ width: `${reserved * 100}%` }} />
      </div>
      <div className="meter-foot muted">
        <span>
          {meter.reservedUsd > 0 ? `${usd(meter.reservedUsd)} reserved by requests in flight · ` : ''}
          <span title={meter.resetsAt ? absolute(meter.resetsAt) : undefined}>{resets}</span>
        </span>
        {onOpen && (
          <button type="button" className="link" onClick={onOpen} aria-label={`Requests that spent ${name}`}>
            Requests →
          </button>
        )}
      </div>
    </div>
  );
}
