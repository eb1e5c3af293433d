// Tests for the price catalog and cost arithmetic: worked examples, tier boundaries and id matching.
import { describe, expect, it } from 'vitest';
import { pricingSchema, type Pricing } from '../config/schema.js';
import { catalogEntry, catalogVendor, costUsd, PRICE_CATALOG, priceFor, type CatalogVendor } from './pricing.js';
import { ZERO_USAGE, type Usage } from './usage.js';

function usage(u: Partial<Usage>): Usage {
  return { ...ZERO_USAGE, ...u };
}

function catalogPricing(vendor: string, model: string): Pricing {
  const p = priceFor(vendor, model);
  if (!p) throw new Error(`no catalog price for ${vendor} ${model}`);
  expect(p.source).toBe('catalog');
  return p.pricing;
}

describe('costUsd', () => {
  const sonnet = catalogPricing('anthropic', 'claude-sonnet-4-5');

  it('charges a million input tokens at $3 as exactly $3', () => {
    expect(costUsd(usage({ inputTokens: 1_000_000 }), { inputPerMTok: 3, outputPerMTok: 15 })).toBe(3);
    // The same million on Claude Sonnet 4.5 is a long-context call: $6 per million.
    expect(costUsd(usage({ inputTokens: 1_000_000 }), sonnet)).toBe(6);
  });

  it('sums input, cache reads, cache writes and output at their own prices', () => {
    // 100k × $3 + 50k × $0.30 + 20k × $3.75 + 10k × $15 = 0.30 + 0.015 + 0.075 + 0.15
    const u = usage({ inputTokens: 100_000, cacheReadTokens: 50_000, cacheWriteTokens: 20_000, outputTokens: 10_000, reasoningTokens: 4_000 });
    expect(costUsd(u, sonnet)).toBe(0.54);
  });

  it('does not charge reasoning tokens on top of output tokens', () => {
    expect(costUsd(usage({ outputTokens: 1_000, reasoningTokens: 800 }), sonnet)).toBe(0.015);
  });

  it('stays on the base tier at exactly the threshold and switches the whole call one token above it', () => {
    // 200,000 × $3 + 1,000 × $15
    expect(costUsd(usage({ inputTokens: 200_000, outputTokens: 1_000 }), sonnet)).toBe(0.615);
    // 200,001 × $6 + 1,000 × $22.50
    expect(costUsd(usage({ inputTokens: 200_001, outputTokens: 1_000 }), sonnet)).toBe(1.222506);
  });

  it('counts cache reads and writes toward the threshold and prices them at the long tier', () => {
    // 150,000 + 50,001 + 0 = 200,001 prompt tokens: 150,000 × $6 + 50,001 × $0.60
    expect(costUsd(usage({ inputTokens: 150_000, cacheReadTokens: 50_001 }), sonnet)).toBe(0.9300006);
    // 100,000 + 0 + 100,000 = 200,000: base tier, 100,000 × $3 + 100,000 × $3.75
    expect(costUsd(usage({ inputTokens: 100_000, cacheWriteTokens: 100_000 }), sonnet)).toBe(0.675);
  });

  it('applies the Gemini 2.5 Pro long-context tier to input and output', () => {
    const pro = catalogPricing('gemini', 'gemini-2.5-pro');
    expect(costUsd(usage({ inputTokens: 100_000, outputTokens: 10_000 }), pro)).toBe(0.225);
    expect(costUsd(usage({ inputTokens: 300_000, outputTokens: 10_000 }), pro)).toBe(0.9);
  });

  it('charges cache tokens at the input price when no cache price is given', () => {
    const flash = catalogPricing('gemini', 'gemini-2.5-flash');
    expect(costUsd(usage({ cacheReadTokens: 1_000_000 }), flash)).toBe(0.3);
    const plain: Pricing = { inputPerMTok: 2, outputPerMTok: 4 };
    expect(costUsd(usage({ cacheReadTokens: 500_000, cacheWriteTokens: 500_000 }), plain)).toBe(2);
  });

  it('uses the long tier input price for missing cache prices above the threshold', () => {
    const p: Pricing = { inputPerMTok: 1, outputPerMTok: 1, cacheReadPerMTok: 0.1, longContext: { aboveInputTokens: 10, inputPerMTok: 2, outputPerMTok: 2 } };
    expect(costUsd(usage({ inputTokens: 500_000, cacheReadTokens: 500_000 }), p)).toBe(2);
  });

  it('rounds to 1e-9 USD so float noise does not show', () => {
    const p: Pricing = { inputPerMTok: 0.1, outputPerMTok: 0.2 };
    // 3 × 0.1 is 0.30000000000000004 in floating point
    expect(costUsd(usage({ inputTokens: 3 }), p)).toBe(3e-7);
    const sum = [1, 2, 3, 4, 5, 6, 7].reduce((acc, n) => acc + costUsd(usage({ inputTokens: n * 1_000, outputTokens: n * 100 }), p), 0);
    expect(Math.round(sum * 1e9) / 1e9).toBe(0.00336);
  });

  it('is zero for zero usage', () => {
    expect(costUsd(ZERO_USAGE, sonnet)).toBe(0);
  });
});

describe('priceFor', () => {
  it('matches dated snapshots and -latest aliases of a catalog id', () => {
    expect(priceFor('anthropic', 'claude-sonnet-4-5-20250929')?.pricing.inputPerMTok).toBe(3);
    expect(priceFor('anthropic', 'claude-sonnet-4-20250514')?.pricing.longContext?.aboveInputTokens).toBe(200_000);
    expect(priceFor('anthropic', 'claude-haiku-4-5-20251001')?.pricing.outputPerMTok).toBe(5);
    expect(priceFor('anthropic', 'claude-3-5-haiku-latest')?.pricing.inputPerMTok).toBe(0.8);
    expect(priceFor('openai', 'gpt-4.1-2025-04-14')?.pricing.outputPerMTok).toBe(8);
    expect(priceFor('openai', 'gpt-4o-mini-2024-07-18')?.pricing.inputPerMTok).toBe(0.15);
  });

  it('ignores case and a Gemini `models/` prefix', () => {
    expect(priceFor('openai', 'GPT-4o')?.pricing.inputPerMTok).toBe(2.5);
    expect(priceFor('gemini', 'models/gemini-2.5-flash-lite')?.pricing.outputPerMTok).toBe(0.4);
  });

  it('does not take a neighbouring model for a longer id', () => {
    expect(priceFor('openai', 'gpt-5-mini')?.pricing.inputPerMTok).toBe(0.25);
    expect(priceFor('openai', 'gpt-5')?.pricing.inputPerMTok).toBe(1.25);
    expect(priceFor('openai', 'gpt-5.5')).toBeNull();
    expect(priceFor('openai', 'gpt-5-chat-latest')).toBeNull();
    expect(priceFor('openai', 'o3-mini')).toBeNull();
    expect(priceFor('anthropic', 'claude-sonnet-4-6')).toBeNull();
    expect(priceFor('anthropic', 'claude-sonnet-4-5-preview')).toBeNull();
    expect(priceFor('gemini', 'gemini-2.5-pro-preview-06-05')).toBeNull();
  });

  it('leaves out a snapshot priced differently from its family', () => {
    expect(priceFor('openai', 'gpt-4o-2024-08-06')?.pricing.inputPerMTok).toBe(2.5);
    expect(priceFor('openai', 'gpt-4o-2024-05-13')).toBeNull();
  });

  it('prefers configured prices over the catalog', () => {
    const configured: Pricing = { inputPerMTok: 1, outputPerMTok: 2 };
    expect(priceFor('anthropic', 'claude-sonnet-4-5', configured)).toEqual({ pricing: configured, source: 'config' });
    expect(priceFor('openai-compatible', 'anything', configured)).toEqual({ pricing: configured, source: 'config' });
  });

  it('returns null for an unknown model, an unknown vendor, or a vendor without a catalog', () => {
    expect(priceFor('openai', 'no-such-model')).toBeNull();
    expect(priceFor('anthropic', 'gpt-4o')).toBeNull();
    expect(priceFor('openai-compatible', 'gpt-4o')).toBeNull();
    expect(priceFor('azure-openai', 'gpt-4o')).toBeNull();
    expect(priceFor('toString', 'gpt-4o')).toBeNull();
  });
});

describe('catalogVendor', () => {
  it('maps first-party types to themselves and only a plain openai preset to OpenAI', () => {
    expect(catalogVendor({ type: 'anthropic' })).toBe('anthropic');
    expect(catalogVendor({ type: 'gemini' })).toBe('gemini');
    expect(catalogVendor({ type: 'openai' })).toBe('openai');
    expect(catalogVendor({ type: 'openai-compatible', preset: 'openai' })).toBe('openai');
    expect(catalogVendor({ type: 'openai-compatible', preset: 'openai', baseUrl: 'http://127.0.0.1:8080/v1' })).toBeUndefined();
    expect(catalogVendor({ type: 'openai-compatible', preset: 'groq' })).toBeUndefined();
    expect(catalogVendor({ type: 'azure-openai' })).toBeUndefined();
  });
});

describe('PRICE_CATALOG', () => {
  const vendors = Object.keys(PRICE_CATALOG) as CatalogVendor[];

  it('states a source URL and the date read for each vendor', () => {
    for (const v of vendors) {
      expect(PRICE_CATALOG[v].source).toMatch(/^https:\/\//);
      expect(PRICE_CATALOG[v].asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('holds only prices the config schema accepts', () => {
    for (const v of vendors) for (const e of PRICE_CATALOG[v].entries) expect(pricingSchema.parse(e.pricing)).toEqual(e.pricing);
  });

  it('resolves every listed id to its own entry', () => {
    for (const v of vendors) for (const e of PRICE_CATALOG[v].entries) for (const id of e.ids) expect(catalogEntry(v, id)).toBe(e);
  });

  it('has the required models', () => {
    const required: [CatalogVendor, string][] = [
      ['anthropic', 'claude-opus-4-1'],
      ['anthropic', 'claude-opus-4-5'],
      ['anthropic', 'claude-sonnet-4'],
      ['anthropic', 'claude-sonnet-4-5'],
      ['anthropic', 'claude-haiku-4-5'],
      ['anthropic', 'claude-3-5-haiku'],
      ['openai', 'gpt-5'],
      ['openai', 'gpt-5-mini'],
      ['openai', 'gpt-5-nano'],
      ['openai', 'gpt-4.1'],
      ['openai', 'gpt-4.1-mini'],
      ['openai', 'gpt-4.1-nano'],
      ['openai', 'gpt-4o'],
      ['openai', 'gpt-4o-mini'],
      ['openai', 'o3'],
      ['openai', 'o4-mini'],
      ['gemini', 'gemini-2.5-pro'],
      ['gemini', 'gemini-2.5-flash'],
      ['gemini', 'gemini-2.5-flash-lite'],
    ];
    for (const [v, id] of required) expect(catalogEntry(v, id), `${v} ${id}`).not.toBeNull();
  });

  it('prices Anthropic 5-minute cache writes at 1.25x input and cache hits at 0.1x, in every tier', () => {
    // Claude Haiku 3's published cache prices ($0.30, $0.03) are rounded from the multipliers.
    for (const e of PRICE_CATALOG.anthropic.entries.filter((x) => !x.ids.includes('claude-3-haiku'))) {
      for (const tier of [e.pricing, e.pricing.longContext].filter((t) => t !== undefined)) {
        expect(tier.cacheWritePerMTok).toBeCloseTo(tier.inputPerMTok * 1.25, 9);
        expect(tier.cacheReadPerMTok).toBeCloseTo(tier.inputPerMTok * 0.1, 9);
      }
    }
  });
});
