// Tests for JSON Schema -> Gemini Schema cleaning: the known 400 pitfalls of raw MCP/OpenAI tool schemas.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MOCK_GEMINI_SCHEMA_FIELDS } from '../../../../../test/fixtures/mock-gemini.js';
import { cleanSchemaForGemini, geminiSchemaToJsonSchema } from './schema.js';

/** The Schema fields Gemini documents, from the Gemini mock, which lists them independently of the code under test. */
const DOCUMENTED = MOCK_GEMINI_SCHEMA_FIELDS;
const TYPES = new Set(['STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL']);

/** Every problem with a cleaned schema, as path: reason (empty when Gemini would accept it). */
function problems(schema: unknown, path = '$'): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [`${path}: not an object`];
  const s = schema as Record<string, unknown>;
  const out: string[] = [];
  for (const k of Object.keys(s)) if (!DOCUMENTED.has(k)) out.push(`${path}: unknown keyword ${k}`);
  if ('type' in s && !(typeof s.type === 'string' && TYPES.has(s.type))) out.push(`${path}: bad type ${JSON.stringify(s.type)}`);
  if ('enum' in s && !(Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string'))) out.push(`${path}: enum not strings`);
  if ('nullable' in s && s.nullable !== true) out.push(`${path}: nullable not true`);
  const props = s.properties as Record<string, unknown> | undefined;
  if (props !== undefined) for (const [k, v] of Object.entries(props)) out.push(...problems(v, `${path}.properties.${k}`));
  if (Array.isArray(s.required)) {
    for (const r of s.required) if (!props || !(r in props)) out.push(`${path}: required ${String(r)} is not a property`);
  }
  if ('items' in s) out.push(...problems(s.items, `${path}.items`));
  if (Array.isArray(s.anyOf)) s.anyOf.forEach((v, i) => out.push(...problems(v, `${path}.anyOf[${i}]`)));
  return out;
}

describe('cleanSchemaForGemini', () => {
  it('turns a typical MCP tool schema into the OpenAPI subset', () => {
    const mcp = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        path: { type: 'string', description: 'File to write', minLength: 1 },
        content: { type: 'string' },
        mode: { type: ['string', 'null'], enum: ['overwrite', 'append', null], default: 'overwrite' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 5, uniqueItems: true },
        limit: { type: 'integer', minimum: 1, maximum: 100, exclusiveMaximum: 101 },
        meta: { type: 'object', additionalProperties: { type: 'string' }, patternProperties: { '^x-': { type: 'string' } } },
      },
      required: ['path', 'content', 'missing'],
      additionalProperties: false,
    };
    expect(cleanSchemaForGemini(mcp)).toEqual({
      type: 'OBJECT',
      properties: {
        path: { type: 'STRING', description: 'File to write', minLength: 1 },
        content: { type: 'STRING' },
        mode: { type: 'STRING', enum: ['overwrite', 'append'], nullable: true, default: 'overwrite' },
        tags: { type: 'ARRAY', items: { type: 'STRING' }, minItems: 1, maxItems: 5 },
        limit: { type: 'INTEGER', minimum: 1, maximum: 100 },
        meta: { type: 'OBJECT' },
      },
      required: ['path', 'content'],
    });
  });

  it('inlines local $defs and definitions refs; the referring node’s description wins', () => {
    const schema = {
      type: 'object',
      $defs: { Point: { type: 'object', description: 'a point', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'] } },
      definitions: { Color: { type: 'string', enum: ['red', 'green'] } },
      properties: {
        at: { $ref: '#/$defs/Point', description: 'where' },
        color: { $ref: '#/definitions/Color' },
        remote: { $ref: 'https://example.com/schema.json', description: 'kept as any' },
      },
    };
    expect(cleanSchemaForGemini(schema)).toEqual({
      type: 'OBJECT',
      properties: {
        at: { type: 'OBJECT', description: 'where', properties: { x: { type: 'NUMBER' }, y: { type: 'NUMBER' } }, required: ['x', 'y'] },
        color: { type: 'STRING', enum: ['red', 'green'] },
        remote: { description: 'kept as any' },
      },
    });
  });

  it('cuts recursive refs after one expansion instead of looping', () => {
    const tree = {
      type: 'object',
      $defs: { Node: { type: 'object', properties: { value: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } },
      properties: { root: { $ref: '#/$defs/Node' }, self: { $ref: '#' } },
    };
    const out = cleanSchemaForGemini(tree);
    expect(out.properties).toEqual({
      root: { type: 'OBJECT', properties: { value: { type: 'STRING' }, children: { type: 'ARRAY', items: {} } } },
      self: {
        type: 'OBJECT',
        properties: {
          root: { type: 'OBJECT', properties: { value: { type: 'STRING' }, children: { type: 'ARRAY', items: {} } } },
          self: {},
        },
      },
    });
    expect(problems(out)).toEqual([]);
  });

  it('bounds nesting depth', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 200; i++) deep = { type: 'object', properties: { next: deep } };
    const out = cleanSchemaForGemini(deep);
    let depth = 0;
    let node: Record<string, unknown> | undefined = out;
    while (node && node.properties) {
      node = (node.properties as Record<string, Record<string, unknown>>).next;
      depth++;
    }
    expect(depth).toBeLessThan(30);
    expect(problems(out)).toEqual([]);
  });

  it('turns null unions into nullable, several types into anyOf, and const choices into an enum', () => {
    expect(cleanSchemaForGemini({ anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }], description: 'when' })).toEqual({
      type: 'STRING',
      format: 'date-time',
      description: 'when',
      nullable: true,
    });
    expect(cleanSchemaForGemini({ type: ['string', 'integer', 'null'], description: 'id' })).toEqual({
      description: 'id',
      anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }],
      nullable: true,
    });
    expect(cleanSchemaForGemini({ oneOf: [{ const: 'asc', description: 'up' }, { const: 'desc' }] })).toEqual({ type: 'STRING', enum: ['asc', 'desc'] });
    expect(cleanSchemaForGemini({ oneOf: [{ type: 'string' }, { type: 'object', properties: { a: { type: 'boolean' } } }] })).toEqual({
      anyOf: [{ type: 'STRING' }, { type: 'OBJECT', properties: { a: { type: 'BOOLEAN' } } }],
    });
  });

  it('writes const as a one-value enum and enum values as strings', () => {
    expect(cleanSchemaForGemini({ const: 'fixed' })).toEqual({ type: 'STRING', enum: ['fixed'] });
    expect(cleanSchemaForGemini({ type: 'integer', enum: [1, 2, 3] })).toEqual({ type: 'INTEGER', enum: ['1', '2', '3'] });
    expect(cleanSchemaForGemini({ enum: [true, false] })).toEqual({ type: 'BOOLEAN', enum: ['true', 'false'] });
  });

  it('keeps only the formats Gemini documents for the type', () => {
    expect(cleanSchemaForGemini({ type: 'string', format: 'date-time' })).toEqual({ type: 'STRING', format: 'date-time' });
    expect(cleanSchemaForGemini({ type: 'string', format: 'uri' })).toEqual({ type: 'STRING' });
    expect(cleanSchemaForGemini({ type: 'string', format: 'email' })).toEqual({ type: 'STRING' });
    expect(cleanSchemaForGemini({ type: 'integer', format: 'int64' })).toEqual({ type: 'INTEGER', format: 'int64' });
    expect(cleanSchemaForGemini({ type: 'number', format: 'int32' })).toEqual({ type: 'NUMBER' });
    expect(cleanSchemaForGemini({ type: 'number', format: 'double' })).toEqual({ type: 'NUMBER', format: 'double' });
  });

  it('merges allOf members, including a required list beside them', () => {
    expect(
      cleanSchemaForGemini({
        allOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { properties: { b: { type: 'number' } }, required: ['b'] }],
        required: ['a'],
        description: 'both',
      }),
    ).toEqual({ type: 'OBJECT', properties: { a: { type: 'STRING' }, b: { type: 'NUMBER' } }, required: ['b', 'a'], description: 'both' });
  });

  it('keeps required and propertyOrdering consistent with the properties', () => {
    expect(
      cleanSchemaForGemini({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['b', 'b', 'zz', 7], propertyOrdering: ['b', 'a', 'nope'] }),
    ).toEqual({ type: 'OBJECT', properties: { a: { type: 'STRING' }, b: { type: 'STRING' } }, required: ['b'], propertyOrdering: ['b', 'a'] });
    expect(cleanSchemaForGemini({ type: 'object', required: ['a'] })).toEqual({ type: 'OBJECT' });
  });

  it('gives tuples and item-less arrays an items schema', () => {
    expect(cleanSchemaForGemini({ type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }] })).toEqual({
      type: 'ARRAY',
      items: { anyOf: [{ type: 'NUMBER' }, { type: 'STRING' }] },
    });
    expect(cleanSchemaForGemini({ type: 'array' })).toEqual({ type: 'ARRAY', items: {} });
  });

  it('never emits anything Gemini would reject, whatever JSON Schema comes in', () => {
    const keyword = fc.constantFrom(
      'type',
      'properties',
      'items',
      'required',
      'enum',
      'const',
      'anyOf',
      'oneOf',
      'allOf',
      '$ref',
      '$defs',
      'definitions',
      'additionalProperties',
      'format',
      'nullable',
      'description',
      '$schema',
      'patternProperties',
      'prefixItems',
      'minimum',
      'exclusiveMinimum',
      'default',
      'propertyOrdering',
      'not',
      'if',
    );
    const leaf = fc.oneof(
      fc.constantFrom('string', 'integer', 'number', 'boolean', 'object', 'array', 'null', 'STRING', 'bogus'),
      fc.array(fc.constantFrom('string', 'null', 'integer')),
      fc.constantFrom('#', '#/$defs/A', '#/definitions/B', 'other.json', 'date-time', 'uri'),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
    );
    const schema = fc.letrec<{ node: Record<string, unknown>; value: unknown }>((tie) => ({
      node: fc.dictionary(keyword, tie('value'), { maxKeys: 5 }),
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        tie('node'),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('A', 'B', 'a', 'b'), tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(schema, (s) => {
        expect(problems(cleanSchemaForGemini(s))).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });
});

describe('geminiSchemaToJsonSchema', () => {
  it('lower-cases types and turns nullable into a null type (or anyOf member)', () => {
    expect(
      geminiSchemaToJsonSchema({
        type: 'OBJECT',
        properties: { a: { type: 'STRING', nullable: true, format: 'date-time' }, b: { type: 'ARRAY', items: { type: 'INTEGER' } }, c: { anyOf: [{ type: 'STRING' }], nullable: true } },
        required: ['a'],
      }),
    ).toEqual({
      type: 'object',
      properties: { a: { type: ['string', 'null'], format: 'date-time' }, b: { type: 'array', items: { type: 'integer' } }, c: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
      required: ['a'],
    });
  });

  it('is undone by cleanSchemaForGemini for schemas inside the subset', () => {
    const gemini = { type: 'OBJECT', properties: { q: { type: 'STRING', description: 'query', nullable: true }, n: { type: 'INTEGER', minimum: 1 } }, required: ['q'] };
    expect(cleanSchemaForGemini(geminiSchemaToJsonSchema(gemini))).toEqual(gemini);
  });
});
