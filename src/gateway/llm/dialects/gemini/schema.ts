// JSON Schema <-> Gemini's Schema (the OpenAPI 3.0 subset that FunctionDeclaration.parameters and responseSchema accept).
//
// Gemini answers 400 "Unknown name ... Cannot find field" for any keyword outside its Schema message,
// and MCP servers and OpenAI clients send full JSON Schema ($schema, additionalProperties, $ref,
// type arrays...), so every tool schema bound for `parameters` is rewritten here first.
// Source for the accepted fields and formats: https://ai.google.dev/api/caching#Schema (read 2026-11).

/** The `Type` enum values (upper case, as the reference spells them). */
export const GEMINI_TYPES: ReadonlySet<string> = new Set(['STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL']);

/**
 * Formats Gemini documents per type; others are dropped because older API versions reject them
 * ("only 'enum' and 'date-time' are supported for STRING type").
 */
const FORMATS: Record<string, ReadonlySet<string>> = {
  STRING: new Set(['enum', 'date-time']),
  NUMBER: new Set(['float', 'double']),
  INTEGER: new Set(['int32', 'int64']),
};

const NUMERIC_KEYS = ['minItems', 'maxItems', 'minimum', 'maximum', 'minLength', 'maxLength', 'minProperties', 'maxProperties'] as const;

/** Nesting (and $ref expansion) deeper than this is cut: real tool schemas are far shallower. */
const MAX_DEPTH = 24;

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSafeKey(k: string): boolean {
  return k !== '__proto__';
}

interface Context {
  root: Json;
  defs: Json;
}

/**
 * Rewrites a JSON Schema to the subset Gemini's `parameters` accepts:
 * - local `$ref`s (`#`, `#/$defs/...`, `#/definitions/...`) are inlined; a cycle or nesting beyond
 *   a fixed depth becomes `{}` (any value), other refs are dropped;
 * - `allOf` members are merged; `anyOf`/`oneOf` lose their `null` member to `nullable: true`, collapse
 *   to the one remaining member, become one `enum` when every member is a constant, else stay `anyOf`;
 * - type arrays like `['string','null']` become `type` + `nullable` (several non-null types: `anyOf`);
 * - `const` becomes a one-value `enum`; enum values become strings (`null` among them: `nullable`);
 * - `format`s Gemini does not document for the type are removed;
 * - `required` and `propertyOrdering` keep only names present in `properties`;
 * - every other keyword ($schema, additionalProperties, patternProperties, exclusiveMinimum, ...) is dropped.
 * Types are written upper case, as the Type enum is documented.
 */
export function cleanSchemaForGemini(schema: Record<string, unknown>): Record<string, unknown> {
  const defs: Json = {};
  for (const key of ['definitions', '$defs']) {
    const d = schema[key];
    if (isRecord(d)) Object.assign(defs, d);
  }
  return clean(schema, { root: schema, defs }, 0, new Set());
}

function resolveRef(ref: string, ctx: Context): Json | undefined {
  if (ref === '#') return ctx.root;
  const m = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
  if (!m?.[1]) return undefined;
  // JSON Pointer escapes (RFC 6901): ~1 is "/", ~0 is "~".
  const name = m[1].replace(/~1/g, '/').replace(/~0/g, '~');
  const target = ctx.defs[name];
  return isRecord(target) ? target : undefined;
}

function clean(node: unknown, ctx: Context, depth: number, refs: Set<string>): Json {
  if (!isRecord(node) || depth > MAX_DEPTH) return {};

  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    const target = refs.has(ref) ? undefined : resolveRef(ref, ctx);
    const { $ref: _r, ...siblings } = node;
    if (!target) return clean(siblings, ctx, depth + 1, refs);
    const inner = new Set(refs).add(ref);
    const resolved = clean(target, ctx, depth + 1, inner);
    const own = clean(siblings, ctx, depth + 1, inner);
    // The referring node's own annotations (description, ...) win over the definition's.
    return { ...resolved, ...own };
  }

  if (Array.isArray(node.allOf)) {
    const { allOf, ...rest } = node;
    const merged = mergeSchemas(
      (allOf as unknown[]).reduce<Json>((acc, member) => mergeSchemas(acc, clean(member, ctx, depth + 1, refs)), {}),
      clean(rest, ctx, depth + 1, refs),
      true,
    );
    // A `required` beside allOf may name properties that only the members define.
    if (Array.isArray(rest.required) && isRecord(merged.properties)) {
      const names = Object.keys(merged.properties);
      const extra = (rest.required as unknown[]).filter((r): r is string => typeof r === 'string' && names.includes(r));
      const required = [...new Set([...(Array.isArray(merged.required) ? (merged.required as string[]) : []), ...extra])];
      if (required.length > 0) merged.required = required;
    }
    return merged;
  }

  const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (union) {
    const { anyOf: _a, oneOf: _o, ...rest } = node;
    return cleanUnion(union as unknown[], rest, ctx, depth, refs);
  }

  const out: Json = {};
  let nullable = node.nullable === true;

  // type: a string, or a JSON Schema type array.
  let type: string | undefined;
  if (typeof node.type === 'string') {
    if (node.type.toLowerCase() === 'null') nullable = true;
    else type = node.type.toUpperCase();
  } else if (Array.isArray(node.type)) {
    const types = (node.type as unknown[]).filter((t): t is string => typeof t === 'string');
    if (types.some((t) => t.toLowerCase() === 'null')) nullable = true;
    const rest = [...new Set(types.filter((t) => t.toLowerCase() !== 'null').map((t) => t.toUpperCase()))];
    if (rest.length === 1) type = rest[0];
    else if (rest.length > 1) {
      // Annotations stay on the union; type-specific keywords go with each member.
      const { type: _t, description, title, ...others } = node;
      return cleanUnion(
        rest.map((t) => ({ ...others, type: t })),
        { description, title },
        ctx,
        depth,
        refs,
        nullable,
      );
    }
  }

  // const and enum: one vocabulary, string values.
  let values: unknown[] | undefined;
  if ('const' in node) values = [node.const];
  else if (Array.isArray(node.enum)) values = node.enum as unknown[];
  if (values) {
    if (values.some((v) => v === null)) nullable = true;
    const present = values.filter((v) => v !== null);
    if (!type) type = inferType(present);
    if (present.length > 0) out.enum = [...new Set(present.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))))];
  }

  if (type && GEMINI_TYPES.has(type)) out.type = type;
  if (typeof node.format === 'string' && type && FORMATS[type]?.has(node.format)) out.format = node.format;
  if (typeof node.title === 'string') out.title = node.title;
  if (typeof node.description === 'string') out.description = node.description;
  if (nullable) out.nullable = true;
  for (const k of NUMERIC_KEYS) {
    if (typeof node[k] === 'number' && Number.isFinite(node[k])) out[k] = node[k];
  }
  if (typeof node.pattern === 'string') out.pattern = node.pattern;
  if ('default' in node && node.default !== undefined) out.default = node.default;
  if ('example' in node && node.example !== undefined) out.example = node.example;
  else if (Array.isArray(node.examples) && node.examples.length > 0) out.example = node.examples[0];

  if (isRecord(node.properties)) {
    const props: Json = {};
    for (const [name, sub] of Object.entries(node.properties)) {
      if (isSafeKey(name)) props[name] = clean(sub, ctx, depth + 1, refs);
    }
    out.properties = props;
    const names = Object.keys(props);
    if (Array.isArray(node.required)) {
      const required = [...new Set((node.required as unknown[]).filter((r): r is string => typeof r === 'string' && names.includes(r)))];
      if (required.length > 0) out.required = required;
    }
    if (Array.isArray(node.propertyOrdering)) {
      const order = (node.propertyOrdering as unknown[]).filter((r): r is string => typeof r === 'string' && names.includes(r));
      if (order.length > 0) out.propertyOrdering = [...new Set(order)];
    }
    if (!out.type) out.type = 'OBJECT';
  }

  // items: a schema; a tuple (`items: [...]` or `prefixItems`) has no Gemini form, so its members become anyOf.
  const tuple = Array.isArray(node.items) ? (node.items as unknown[]) : Array.isArray(node.prefixItems) ? (node.prefixItems as unknown[]) : undefined;
  if (isRecord(node.items)) out.items = clean(node.items, ctx, depth + 1, refs);
  else if (tuple) out.items = tuple.length === 1 ? clean(tuple[0], ctx, depth + 1, refs) : cleanUnion(tuple, {}, ctx, depth, refs);
  if (out.type === 'ARRAY' && !out.items) out.items = {};
  if (out.items && !out.type) out.type = 'ARRAY';

  return out;
}

function inferType(values: unknown[]): string | undefined {
  if (values.length === 0) return undefined;
  if (values.every((v) => typeof v === 'string')) return 'STRING';
  if (values.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'INTEGER';
  if (values.every((v) => typeof v === 'number')) return 'NUMBER';
  if (values.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  return 'STRING';
}

function isNullSchema(s: unknown): boolean {
  if (!isRecord(s)) return false;
  if (typeof s.type === 'string' && s.type.toLowerCase() === 'null') return true;
  return 'const' in s && s.const === null;
}

function cleanUnion(members: unknown[], siblings: Json, ctx: Context, depth: number, refs: Set<string>, nullable = false): Json {
  let isNullable = nullable || members.some(isNullSchema);
  const cleaned = members.filter((m) => !isNullSchema(m)).map((m) => clean(m, ctx, depth + 1, refs));
  const own = clean(siblings, ctx, depth + 1, refs);
  if (own.nullable) isNullable = true;
  let out: Json;
  if (cleaned.length === 0) {
    out = { ...own };
  } else if (cleaned.length === 1) {
    out = mergeSchemas(cleaned[0] ?? {}, own, true);
  } else if (cleaned.every((c) => Array.isArray(c.enum) && Object.keys(c).every((k) => ['enum', 'type', 'description', 'title'].includes(k)))) {
    // oneOf: [{const: 'a'}, {const: 'b'}] is an enum in disguise (a common MCP pattern).
    const values = [...new Set(cleaned.flatMap((c) => c.enum as string[]))];
    const types = new Set(cleaned.map((c) => c.type));
    out = { ...(types.size === 1 && cleaned[0]?.type ? { type: cleaned[0].type } : { type: 'STRING' }), enum: values, ...own };
  } else {
    out = { ...own, anyOf: cleaned };
  }
  if (isNullable) out.nullable = true;
  return out;
}

/** Merges two cleaned schemas: properties and required are united; other keys from `b` win when `bWins`. */
function mergeSchemas(a: Json, b: Json, bWins = false): Json {
  const out: Json = bWins ? { ...a, ...b } : { ...b, ...a };
  if (isRecord(a.properties) || isRecord(b.properties)) {
    out.properties = { ...(isRecord(a.properties) ? a.properties : {}), ...(isRecord(b.properties) ? b.properties : {}) };
    const required = [...new Set([...(Array.isArray(a.required) ? a.required : []), ...(Array.isArray(b.required) ? b.required : [])])];
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  return out;
}

/**
 * The inverse direction: a Gemini Schema (as a Gemini client sends it in `parameters` or
 * `responseSchema`) to JSON Schema, so other families get standard lower-case types:
 * `nullable: true` becomes a `['type', 'null']` type array (or a `null` member of `anyOf`).
 */
export function geminiSchemaToJsonSchema(schema: unknown, depth = 0): Record<string, unknown> {
  if (!isRecord(schema) || depth > MAX_DEPTH) return {};
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!isSafeKey(key)) continue;
    switch (key) {
      case 'type':
        if (typeof value === 'string') out.type = value.toLowerCase();
        break;
      case 'nullable':
        break;
      case 'properties':
        if (isRecord(value)) {
          const props: Json = {};
          for (const [name, sub] of Object.entries(value)) if (isSafeKey(name)) props[name] = geminiSchemaToJsonSchema(sub, depth + 1);
          out.properties = props;
        }
        break;
      case 'items':
        out.items = geminiSchemaToJsonSchema(value, depth + 1);
        break;
      case 'anyOf':
        if (Array.isArray(value)) out.anyOf = value.map((v) => geminiSchemaToJsonSchema(v, depth + 1));
        break;
      default:
        out[key] = value;
    }
  }
  if (schema.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.anyOf)) out.anyOf = [...(out.anyOf as unknown[]), { type: 'null' }];
  }
  return out;
}
