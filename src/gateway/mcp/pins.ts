// Tool pinning against "rug pulls": each tool's definition (name, title, description, schemas,
// annotations, and the server's reported version) is pinned when first seen. A definition that
// no longer matches its pin, or that the guardrail hook flags, is quarantined: not offered, its
// calls refused saying why, until a person accepts it (which pins what they saw).
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import canonicalize from 'canonicalize';
import { createTwoFilesPatch } from 'diff';
import { createHash } from 'node:crypto';
import type { QuarantinedTool } from '../../shared/contract.js';

export interface PinRecord {
  hash: string;
  definition: string;
  serverVersion: string | null;
  pinnedAt: string;
  pinnedBy: string;
}

export interface PinStore {
  get(server: string, tool: string): PinRecord | undefined;
  put(server: string, tool: string, pin: PinRecord): void;
}

/** The guardrail hook on tool definitions: a reason to quarantine one (e.g. injected instructions), or undefined. */
export type DefinitionInspector = (serverId: string, tool: Tool) => string | undefined;

export interface PinEvents {
  /** A tool was quarantined (changed or flagged), or released by a person. */
  changed(server: string, tool: string, change: 'quarantined' | 'accepted'): void;
}

export interface Pins {
  /** Splits a server's tools into those that may be offered and those quarantined (pinning the new, clean ones). */
  check(serverId: string, serverVersion: string | null, tools: readonly Tool[]): { allowed: Tool[]; quarantined: Map<string, QuarantinedTool> };
  quarantined(): QuarantinedTool[];
  /** Pins what is quarantined now for the server (one tool, or all of its quarantined tools); returns the tools accepted. */
  accept(serverId: string, tool: string | undefined, by: string): string[];
}

/** The parts of a tool that decide what a model does with it. */
function definitionOf(tool: Tool, serverVersion: string | null): Record<string, unknown> {
  const { name, title, description, inputSchema, outputSchema, annotations } = tool;
  return { serverVersion, name, title, description, inputSchema, outputSchema, annotations };
}

function pretty(definitionJson: string): string {
  return `${JSON.stringify(JSON.parse(definitionJson), null, 2)}\n`;
}

export function createPins(deps: { store: PinStore; inspect?: DefinitionInspector; events?: PinEvents; now?: () => Date }): Pins {
  const now = deps.now ?? (() => new Date());
  /** `server\ntool` -> what is quarantined, with the definition a person would accept. */
  const held = new Map<string, QuarantinedTool & { hash: string; definition: string; serverVersion: string | null }>();
  /** A server's tool list is the same array until it changes: each is checked once (until a person accepts something). */
  let memo = new WeakMap<readonly Tool[], { serverVersion: string | null; result: ReturnType<Pins['check']> }>();

  function hold(serverId: string, entry: QuarantinedTool & { hash: string; definition: string; serverVersion: string | null }): QuarantinedTool {
    const id = `${serverId}\n${entry.tool}`;
    const before = held.get(id);
    if (before?.hash === entry.hash) return before;
    held.set(id, entry);
    deps.events?.changed(serverId, entry.tool, 'quarantined');
    return entry;
  }

  return {
    check(serverId, serverVersion, tools) {
      const known = memo.get(tools);
      if (known && known.serverVersion === serverVersion) return known.result;
      const allowed: Tool[] = [];
      const quarantined = new Map<string, QuarantinedTool>();
      for (const tool of tools) {
        const definition = canonicalize(definitionOf(tool, serverVersion)) ?? '{}';
        const hash = createHash('sha256').update(definition).digest('hex');
        const pin = deps.store.get(serverId, tool.name);
        if (pin?.hash === hash) {
          held.delete(`${serverId}\n${tool.name}`);
          allowed.push(tool);
          continue;
        }
        const detectedAt = now().toISOString();
        if (pin) {
          const diff = createTwoFilesPatch(`${tool.name} (pinned ${pin.pinnedAt})`, `${tool.name} (now)`, pretty(pin.definition), pretty(definition), undefined, undefined, { context: 3 });
          quarantined.set(
            tool.name,
            hold(serverId, {
              server: serverId,
              tool: tool.name,
              reason: 'changed',
              message: `the definition of ${tool.name} on MCP server "${serverId}" changed since it was pinned (${pin.pinnedAt}, by ${pin.pinnedBy})`,
              diff,
              detectedAt,
              hash,
              definition,
              serverVersion,
            }),
          );
          continue;
        }
        const flagged = deps.inspect?.(serverId, tool);
        if (flagged) {
          quarantined.set(
            tool.name,
            hold(serverId, { server: serverId, tool: tool.name, reason: 'flagged', message: `the definition of ${tool.name} on MCP server "${serverId}" was flagged: ${flagged}`, diff: null, detectedAt, hash, definition, serverVersion }),
          );
          continue;
        }
        // First seen and clean: trusted from now on, in this form.
        deps.store.put(serverId, tool.name, { hash, definition, serverVersion, pinnedAt: detectedAt, pinnedBy: 'first use' });
        allowed.push(tool);
      }
      memo.set(tools, { serverVersion, result: { allowed, quarantined } });
      return { allowed, quarantined };
    },
    quarantined: () => [...held.values()].map(({ hash: _h, definition: _d, serverVersion: _v, ...q }) => q),
    accept(serverId, tool, by) {
      const accepted: string[] = [];
      for (const [id, q] of held) {
        if (q.server !== serverId || (tool !== undefined && q.tool !== tool)) continue;
        deps.store.put(serverId, q.tool, { hash: q.hash, definition: q.definition, serverVersion: q.serverVersion, pinnedAt: now().toISOString(), pinnedBy: by });
        held.delete(id);
        accepted.push(q.tool);
        deps.events?.changed(serverId, q.tool, 'accepted');
      }
      if (accepted.length > 0) memo = new WeakMap();
      return accepted;
    },
  };
}
