// Fits a canonical request to another family's rules before it is encoded: tool names, tool-call ids,
// empty text. What is renamed is mapped back in the reply, so the client sees its own names.
import { createHash } from 'node:crypto';
import type { CanonicalRequest, CanonicalResponse, ContentPart, Family, Message, StreamEvent } from './canonical.js';

interface FamilyRules {
  /** Whether a tool name is accepted as it is. */
  nameOk(name: string): boolean;
  maxName: number;
  /** Whether a tool-call id is accepted as it is. */
  idOk(id: string): boolean;
  /** Whether empty text parts are rejected (they are dropped first). */
  noEmptyText: boolean;
}

// Sources (read 2026-11): OpenAI function names ^[a-zA-Z0-9_-]{1,64}$ and tool_call ids of at most 40
// characters (https://platform.openai.com/docs/api-reference/chat/create); Anthropic tool names
// ^[a-zA-Z0-9_-]{1,64}$, tool_use ids ^[a-zA-Z0-9_-]+$, and "text content blocks must be non-empty"
// (https://docs.anthropic.com/en/api/messages); Gemini function names start with a letter or
// underscore, then letters, digits, _ . : -, at most 64 (https://ai.google.dev/api/caching#FunctionDeclaration).
const RULES: Record<Family, FamilyRules> = {
  openai: {
    nameOk: (n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n),
    maxName: 64,
    idOk: (id) => id.length > 0 && id.length <= 40,
    noEmptyText: false,
  },
  anthropic: {
    nameOk: (n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n),
    maxName: 64,
    idOk: (id) => /^[a-zA-Z0-9_-]{1,200}$/.test(id),
    noEmptyText: true,
  },
  gemini: {
    nameOk: (n) => /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(n),
    maxName: 64,
    idOk: () => true,
    noEmptyText: true,
  },
};

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('base64url').replace(/[^a-zA-Z0-9]/g, '').slice(0, length);
}

/**
 * A name the family accepts, derived from `name` alone (so the same tool gets the same name on
 * every turn of a session, and prompt caches stay warm): invalid characters become `_`, and a
 * name that had to change or is too long ends in a hash of the original so two names never collide.
 */
export function fitToolName(name: string, family: Family): string {
  const rules = RULES[family];
  if (rules.nameOk(name)) return name;
  let base = name.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (family === 'gemini' && !/^[a-zA-Z_]/.test(base)) base = `_${base}`;
  const suffix = `_${shortHash(name, 8)}`;
  return base.slice(0, rules.maxName - suffix.length) + suffix;
}

/** A tool-call id the family accepts, derived from `id` alone (the call and its result stay paired). */
export function fitToolCallId(id: string, family: Family): string {
  if (RULES[family].idOk(id)) return id;
  return `call_${shortHash(id, 32)}`;
}

export interface Fitted {
  request: CanonicalRequest;
  /** Upstream tool name -> the client's name, for the names that had to change. */
  restoreNames: Map<string, string>;
}

/** Returns the request fitted to `family` (the same object when nothing had to change). */
export function fitRequest(req: CanonicalRequest, family: Family): Fitted {
  const rules = RULES[family];
  const restoreNames = new Map<string, string>();
  let changed = false;
  const name = (n: string): string => {
    const fitted = fitToolName(n, family);
    if (fitted !== n) {
      restoreNames.set(fitted, n);
      changed = true;
    }
    return fitted;
  };
  const id = (i: string): string => {
    const fitted = fitToolCallId(i, family);
    if (fitted !== i) changed = true;
    return fitted;
  };
  const fitPart = (p: ContentPart): ContentPart | null => {
    switch (p.type) {
      case 'text':
        if (rules.noEmptyText && p.text === '') {
          changed = true;
          return null;
        }
        return p;
      case 'tool_call':
        return { ...p, id: id(p.id), name: name(p.name) };
      case 'tool_result':
        return { ...p, toolCallId: id(p.toolCallId), ...(p.name !== undefined ? { name: name(p.name) } : {}) };
      default:
        return p;
    }
  };
  const messages: Message[] = [];
  for (const m of req.messages) {
    const content = m.content.map(fitPart).filter((p): p is ContentPart => p !== null);
    if (content.length === 0 && rules.noEmptyText) {
      changed = true;
      continue;
    }
    messages.push({ ...m, content });
  }
  const tools = req.tools?.map((t) => ({ ...t, name: name(t.name) }));
  const toolChoice = req.toolChoice?.type === 'tool' ? { type: 'tool' as const, name: name(req.toolChoice.name) } : req.toolChoice;
  const system = rules.noEmptyText ? req.system.filter((p) => p.text !== '') : req.system;
  if (system.length !== req.system.length) changed = true;
  if (!changed) return { request: req, restoreNames };
  return {
    request: { ...req, system, messages, ...(tools ? { tools } : {}), ...(toolChoice ? { toolChoice } : {}) },
    restoreNames,
  };
}

/** Puts the client's tool names back into a translated reply. */
export function restoreResponse(res: CanonicalResponse, restoreNames: Map<string, string>): CanonicalResponse {
  if (restoreNames.size === 0) return res;
  return { ...res, content: res.content.map((p) => (p.type === 'tool_call' ? { ...p, name: restoreNames.get(p.name) ?? p.name } : p)) };
}

/** Puts the client's tool names back into a translated stream event. */
export function restoreEvent(ev: StreamEvent, restoreNames: Map<string, string>): StreamEvent {
  if (restoreNames.size === 0 || ev.type !== 'block_start' || ev.block !== 'tool_call') return ev;
  return { ...ev, name: restoreNames.get(ev.name) ?? ev.name };
}
