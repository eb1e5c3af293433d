// Published per-token prices of well-known models, and the cost of one call from its Usage.
import type { Pricing, ProviderConfig } from '../config/schema.js';
import { promptTokens, type Usage } from './usage.js';

/** The vendors the catalog has prices for. A provider `type` of the same name maps to its vendor. */
export type CatalogVendor = 'openai' | 'anthropic' | 'gemini';

export interface PriceCatalogEntry {
  /**
   * Model ids priced by this entry. Matching is case-insensitive, and each id also matches its dated
   * snapshots (`claude-sonnet-4-5-20250929`, `gpt-4.1-2025-04-14`) and its `-latest` alias, but no other
   * suffix: `gpt-5` does not match `gpt-5-mini` or `gpt-5.5`, which are other models at other prices.
   */
  ids: readonly string[];
  /** Snapshots that would match `ids` but are priced differently, so the catalog does not price them. */
  except?: readonly string[];
  /** USD per million tokens, as published. */
  pricing: Pricing;
  /**
   * The most output one call can produce (the model's published max output tokens): what a call that
   * names no limit may cost at worst, so what a budget reserves for it.
   */
  maxOutputTokens?: number;
  note?: string;
}

export interface PriceCatalogVendor {
  /** The page the prices were read from. */
  source: string;
  /** The date (YYYY-MM-DD) the prices were read. */
  asOf: string;
  entries: readonly PriceCatalogEntry[];
}

const M = 1_000_000;

// Anthropic: "Model pricing" and "Long context pricing" of the pricing page. Cache writes are the
// 5-minute writes (1.25x input; the page's own column), cache hits 0.1x input. Long context: a request
// whose input (input + cache reads + cache writes) exceeds 200K tokens is billed at the long-context
// rates for all of its tokens, and the prompt-caching multipliers apply on top of those rates.
// Max output tokens: the "Max output" row of https://platform.claude.com/docs/en/models and each model's page.
const ANTHROPIC: PriceCatalogVendor = {
  source: 'https://platform.claude.com/docs/en/about-claude/pricing',
  asOf: '2026-11-24',
  entries: [
    { ids: ['claude-opus-4-5'], maxOutputTokens: 64_000, pricing: { inputPerMTok: 5, cacheWritePerMTok: 6.25, cacheReadPerMTok: 0.5, outputPerMTok: 25 } },
    {
      ids: ['claude-opus-4-1'], maxOutputTokens: 32_000,
      pricing: { inputPerMTok: 15, cacheWritePerMTok: 18.75, cacheReadPerMTok: 1.5, outputPerMTok: 75 },
      note: 'listed as retired on the Claude API except on Bedrock and Google Cloud',
    },
    { ids: ['claude-opus-4', 'claude-opus-4-0'], maxOutputTokens: 32_000, pricing: { inputPerMTok: 15, cacheWritePerMTok: 18.75, cacheReadPerMTok: 1.5, outputPerMTok: 75 } },
    {
      ids: ['claude-sonnet-4-5'], maxOutputTokens: 64_000,
      pricing: {
        inputPerMTok: 3,
        cacheWritePerMTok: 3.75,
        cacheReadPerMTok: 0.3,
        outputPerMTok: 15,
        longContext: { aboveInputTokens: 200_000, inputPerMTok: 6, cacheWritePerMTok: 7.5, cacheReadPerMTok: 0.6, outputPerMTok: 22.5 },
      },
    },
    {
      ids: ['claude-sonnet-4', 'claude-sonnet-4-0'], maxOutputTokens: 64_000,
      pricing: {
        inputPerMTok: 3,
        cacheWritePerMTok: 3.75,
        cacheReadPerMTok: 0.3,
        outputPerMTok: 15,
        longContext: { aboveInputTokens: 200_000, inputPerMTok: 6, cacheWritePerMTok: 7.5, cacheReadPerMTok: 0.6, outputPerMTok: 22.5 },
      },
    },
    { ids: ['claude-haiku-4-5'], maxOutputTokens: 64_000, pricing: { inputPerMTok: 1, cacheWritePerMTok: 1.25, cacheReadPerMTok: 0.1, outputPerMTok: 5 } },
    { ids: ['claude-3-5-haiku'], maxOutputTokens: 8_192, pricing: { inputPerMTok: 0.8, cacheWritePerMTok: 1, cacheReadPerMTok: 0.08, outputPerMTok: 4 } },
    { ids: ['claude-3-haiku'], maxOutputTokens: 4_096, pricing: { inputPerMTok: 0.25, cacheWritePerMTok: 0.3, cacheReadPerMTok: 0.03, outputPerMTok: 1.25 } },
  ],
};

// OpenAI: standard tier, text tokens ("Input", "Cached input", "Output"). OpenAI does not bill cache
// writes (its Usage never reports any), so no write price is given. Max output tokens: each model's
// page under https://developers.openai.com/api/docs/models ("Max output tokens").
const OPENAI: PriceCatalogVendor = {
  source: 'https://developers.openai.com/api/docs/pricing',
  asOf: '2026-11-24',
  entries: [
    { ids: ['gpt-5'], maxOutputTokens: 128_000, pricing: { inputPerMTok: 1.25, cacheReadPerMTok: 0.125, outputPerMTok: 10 } },
    { ids: ['gpt-5-mini'], maxOutputTokens: 128_000, pricing: { inputPerMTok: 0.25, cacheReadPerMTok: 0.025, outputPerMTok: 2 } },
    { ids: ['gpt-5-nano'], maxOutputTokens: 128_000, pricing: { inputPerMTok: 0.05, cacheReadPerMTok: 0.005, outputPerMTok: 0.4 } },
    { ids: ['gpt-4.1'], maxOutputTokens: 32_768, pricing: { inputPerMTok: 2, cacheReadPerMTok: 0.5, outputPerMTok: 8 } },
    { ids: ['gpt-4.1-mini'], maxOutputTokens: 32_768, pricing: { inputPerMTok: 0.4, cacheReadPerMTok: 0.1, outputPerMTok: 1.6 } },
    { ids: ['gpt-4.1-nano'], maxOutputTokens: 32_768, pricing: { inputPerMTok: 0.1, cacheReadPerMTok: 0.025, outputPerMTok: 0.4 } },
    {
      ids: ['gpt-4o'], maxOutputTokens: 16_384,
      except: ['gpt-4o-2024-05-13'],
      pricing: { inputPerMTok: 2.5, cacheReadPerMTok: 1.25, outputPerMTok: 10 },
      note: 'the first snapshot, gpt-4o-2024-05-13, has its own higher price and is left out',
    },
    { ids: ['gpt-4o-mini'], maxOutputTokens: 16_384, pricing: { inputPerMTok: 0.15, cacheReadPerMTok: 0.075, outputPerMTok: 0.6 } },
    { ids: ['o3'], maxOutputTokens: 100_000, pricing: { inputPerMTok: 2, cacheReadPerMTok: 0.5, outputPerMTok: 8 } },
    { ids: ['o4-mini'], maxOutputTokens: 100_000, pricing: { inputPerMTok: 1.1, cacheReadPerMTok: 0.275, outputPerMTok: 4.4 } },
  ],
};

// Gemini Developer API, paid tier, text/image/video input (audio input is dearer and not modelled).
// 2.5 Pro is tiered at 200K prompt tokens for input, output and context-cache reads alike. The
// context-cache read prices of 2.5 Flash and Flash-Lite could not be confirmed, so they are absent
// and cache reads of those two are charged at the input price (an upper bound). Max output tokens:
// "Output token limit" on https://ai.google.dev/gemini-api/docs/models.
const GEMINI: PriceCatalogVendor = {
  source: 'https://ai.google.dev/gemini-api/docs/pricing',
  asOf: '2026-11-24',
  entries: [
    {
      ids: ['gemini-2.5-pro'], maxOutputTokens: 65_536,
      pricing: {
        inputPerMTok: 1.25,
        cacheReadPerMTok: 0.125,
        outputPerMTok: 10,
        longContext: { aboveInputTokens: 200_000, inputPerMTok: 2.5, cacheReadPerMTok: 0.25, outputPerMTok: 15 },
      },
    },
    { ids: ['gemini-2.5-flash'], maxOutputTokens: 65_536, pricing: { inputPerMTok: 0.3, outputPerMTok: 2.5 }, note: 'cache-read price not confirmed; charged at the input price' },
    { ids: ['gemini-2.5-flash-lite'], maxOutputTokens: 65_536, pricing: { inputPerMTok: 0.1, outputPerMTok: 0.4 }, note: 'cache-read price not confirmed; charged at the input price' },
  ],
};

/**
 * Published prices by vendor. OpenAI-compatible vendors (Groq, OpenRouter, Together, a local
 * server) are not in the catalog: their prices and model names vary too much to state here, so
 * their routes need `pricing:` in the config to be costed. Azure OpenAI is left out as well: its
 * prices depend on the deployment type and region.
 */
export const PRICE_CATALOG: Readonly<Record<CatalogVendor, PriceCatalogVendor>> = { anthropic: ANTHROPIC, openai: OPENAI, gemini: GEMINI };

/** The catalog vendor whose prices apply to a configured provider, if any. */
export function catalogVendor(provider: Pick<ProviderConfig, 'type' | 'preset' | 'baseUrl'>): CatalogVendor | undefined {
  switch (provider.type) {
    case 'openai':
    case 'anthropic':
    case 'gemini':
      return provider.type;
    case 'openai-compatible':
      // The `openai` preset is OpenAI itself, unless a baseUrl sends the traffic somewhere else.
      return provider.preset === 'openai' && provider.baseUrl === undefined ? 'openai' : undefined;
    default:
      return undefined;
  }
}

const SNAPSHOT_SUFFIX = /^-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/;

function normalizeModel(model: string): string {
  const m = model.trim().toLowerCase();
  return m.startsWith('models/') ? m.slice('models/'.length) : m;
}

function entryMatches(entry: PriceCatalogEntry, model: string): boolean {
  if (entry.except?.includes(model)) return false;
  return entry.ids.some((id) => model === id || (model.startsWith(id) && SNAPSHOT_SUFFIX.test(model.slice(id.length))));
}

/** The catalog entry for a model of a vendor, or null when the catalog does not price it. */
export function catalogEntry(vendor: string, model: string): PriceCatalogEntry | null {
  const book = Object.hasOwn(PRICE_CATALOG, vendor) ? PRICE_CATALOG[vendor as CatalogVendor] : undefined;
  if (!book) return null;
  const m = normalizeModel(model);
  return book.entries.find((e) => entryMatches(e, m)) ?? null;
}

/** The model's published max output tokens (the config's `maxOutputTokens` first), when known. */
export function maxOutputFor(providerType: string, model: string, configured?: number): number | undefined {
  return configured ?? catalogEntry(providerType, model)?.maxOutputTokens;
}

/**
 * The prices for a model: `configured` (a route target's `pricing:`) when given, else the catalog's.
 * `providerType` is a provider type or catalog vendor (`openai`, `anthropic`, `gemini`); use
 * `catalogVendor(provider)` to find the vendor of an `openai-compatible` provider. Null when unpriced.
 */
export function priceFor(providerType: string, model: string, configured?: Pricing): { pricing: Pricing; source: 'config' | 'catalog' } | null {
  if (configured) return { pricing: configured, source: 'config' };
  const entry = catalogEntry(providerType, model);
  return entry ? { pricing: entry.pricing, source: 'catalog' } : null;
}

/**
 * USD cost of one call. When `pricing.longContext` is set and the prompt (input + cache reads +
 * cache writes) exceeds its `aboveInputTokens`, every token of the call is charged at the long-context
 * prices. A missing cache-read or cache-write price is taken to be the (tier's) input price, so an
 * incomplete price list over-states the cost rather than hiding it. Reasoning tokens are part of
 * outputTokens and are not added again. Rounded to 1e-9 USD so sums do not carry float noise.
 */
export function costUsd(usage: Usage, pricing: Pricing): number {
  const long = pricing.longContext;
  const tier = long && promptTokens(usage) > long.aboveInputTokens ? long : pricing;
  const micro =
    usage.inputTokens * tier.inputPerMTok +
    usage.cacheReadTokens * (tier.cacheReadPerMTok ?? tier.inputPerMTok) +
    usage.cacheWriteTokens * (tier.cacheWritePerMTok ?? tier.inputPerMTok) +
    usage.outputTokens * tier.outputPerMTok;
  return Math.round((micro / M) * 1e9) / 1e9;
}
