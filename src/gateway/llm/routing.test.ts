// Tests for model-name resolution (routes, provider/model, aliases), target ids, pricing and close-match suggestions.
import { describe, expect, it } from 'vitest';
import { configSchema, type GatehouseConfig } from '../config/schema.js';
import { closeMatches, listModelNames, resolveModel } from './routing.js';

function config(extra: Record<string, unknown> = {}): GatehouseConfig {
  return configSchema.parse({
    version: 1,
    providers: [
      { id: 'anth', type: 'anthropic' },
      { id: 'oai', type: 'openai' },
      { id: 'groq', type: 'openai-compatible', preset: 'groq' },
    ],
    models: [
      {
        name: 'smart',
        strategy: 'weighted',
        targets: [
          { provider: 'anth', model: 'claude-sonnet-4-5-20250929', weight: 3 },
          { provider: 'oai', model: 'gpt-4.1', pricing: { inputPerMTok: 1, outputPerMTok: 2 } },
        ],
      },
      { name: 'fast', targets: [{ provider: 'groq', model: 'llama-3.3-70b' }, { provider: 'oai', model: 'gpt-4o-mini' }] },
      { name: 'claude-sonnet', targets: [{ provider: 'anth', model: 'claude-sonnet-4-5' }] },
      { name: 'oai/gpt-4o', targets: [{ provider: 'anth', model: 'claude-haiku-4-5' }] },
    ],
    aliases: { 'claude-*': 'smart', 'claude-3*': 'fast', cheap: 'oai/gpt-4o-mini' },
    ...extra,
  });
}

describe('resolveModel', () => {
  it('resolves a route name to its targets in config order, with ids, weights and prices', () => {
    const targets = resolveModel(config(), 'smart');
    expect(targets.map((t) => t.targetId)).toEqual(['smart#0', 'smart#1']);
    expect(targets.map((t) => t.weight)).toEqual([3, 1]);
    const [sonnet, gpt] = targets;
    expect(sonnet).toMatchObject({ requested: 'smart', route: 'smart', provider: 'anth', model: 'claude-sonnet-4-5-20250929', pricingSource: 'catalog' });
    expect(sonnet?.pricing?.inputPerMTok).toBe(3);
    expect(gpt).toMatchObject({ provider: 'oai', model: 'gpt-4.1', pricingSource: 'config', pricing: { inputPerMTok: 1, outputPerMTok: 2 } });
  });

  it('leaves a target unpriced when neither the config nor the catalog prices it', () => {
    const [llama, mini] = resolveModel(config(), 'fast');
    expect(llama?.pricing).toBeUndefined();
    expect(llama?.pricingSource).toBeUndefined();
    expect(mini?.pricing?.inputPerMTok).toBe(0.15);
  });

  it('resolves provider/model for a configured provider, priced from the catalog', () => {
    const [t, ...rest] = resolveModel(config(), 'oai/gpt-5-mini');
    expect(rest).toEqual([]);
    expect(t).toMatchObject({ requested: 'oai/gpt-5-mini', route: 'oai/gpt-5-mini', provider: 'oai', model: 'gpt-5-mini', weight: 1, targetId: 'oai/gpt-5-mini', pricingSource: 'catalog' });
    expect(t?.pricing?.outputPerMTok).toBe(2);
    expect(resolveModel(config(), 'groq/llama-3.3-70b')[0]?.pricing).toBeUndefined();
  });

  it('keeps everything after the first slash as the model name', () => {
    expect(resolveModel(config(), 'groq/meta-llama/llama-4')[0]).toMatchObject({ provider: 'groq', model: 'meta-llama/llama-4', targetId: 'groq/meta-llama/llama-4' });
  });

  it('prefers an exact route name over provider/model', () => {
    expect(resolveModel(config(), 'oai/gpt-4o').map((t) => t.targetId)).toEqual(['oai/gpt-4o#0']);
  });

  it('does not resolve provider/model for an unknown provider or an empty model', () => {
    expect(resolveModel(config(), 'nope/gpt-4o')).toEqual([]);
    expect(resolveModel(config(), 'oai/')).toEqual([]);
  });

  it('follows the first alias whose glob matches, keeping the requested name', () => {
    const targets = resolveModel(config(), 'claude-3-opus');
    expect(targets.map((t) => t.targetId)).toEqual(['smart#0', 'smart#1']);
    expect(targets[0]?.requested).toBe('claude-3-opus');
    expect(resolveModel(config(), 'cheap')).toMatchObject([{ requested: 'cheap', targetId: 'oai/gpt-4o-mini', model: 'gpt-4o-mini' }]);
  });

  it('returns nothing for an unknown name', () => {
    expect(resolveModel(config(), 'gpt-9')).toEqual([]);
  });
});

describe('listModelNames', () => {
  it('lists routes, then provider/model of their targets, once each', () => {
    expect(listModelNames(config())).toEqual([
      'smart',
      'fast',
      'claude-sonnet',
      'oai/gpt-4o',
      'anth/claude-sonnet-4-5-20250929',
      'oai/gpt-4.1',
      'groq/llama-3.3-70b',
      'oai/gpt-4o-mini',
      'anth/claude-sonnet-4-5',
      'anth/claude-haiku-4-5',
    ]);
  });
});

describe('closeMatches', () => {
  it('suggests the nearest names first for a misspelling', () => {
    expect(closeMatches(config(), 'claude-sonet')[0]).toBe('claude-sonnet');
    expect(closeMatches(config(), 'smrat')).toEqual(['smart']);
  });

  it('compares against the model part of provider/model names', () => {
    expect(closeMatches(config(), 'gpt-4o-mni')).toContain('oai/gpt-4o-mini');
    expect(closeMatches(config(), 'gpt-4o-mni')[0]).toBe('oai/gpt-4o-mini');
  });

  it('includes names that contain the request', () => {
    const found = closeMatches(config(), 'haiku');
    expect(found).toEqual(['anth/claude-haiku-4-5']);
  });

  it('ignores case', () => {
    expect(closeMatches(config(), 'FAST')).toEqual(['fast']);
  });

  it('suggests plain alias names but not glob patterns', () => {
    expect(closeMatches(config(), 'chep')).toEqual(['cheap']);
    expect(closeMatches(config(), 'claude-*')).not.toContain('claude-*');
  });

  it('returns nothing for a name far from everything, and respects the limit', () => {
    expect(closeMatches(config(), 'zzzzzzzzzzzz')).toEqual([]);
    expect(closeMatches(config(), 'claude', 2)).toHaveLength(2);
    expect(closeMatches(config(), 'claude', 0)).toEqual([]);
  });
});
