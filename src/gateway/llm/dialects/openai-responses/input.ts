// Responses `input` items <-> canonical messages: messages, function calls and their outputs, reasoning items.
// Wire format: https://platform.openai.com/docs/api-reference/responses/create (input, "Input item list"),
// item shapes checked against the openai SDK's ResponseInputItem type (resources/responses/responses.d.ts).
import type { ContentPart, DocumentPart, ImagePart, Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart } from '../../canonical.js';
import { bad, expected, type Json } from '../openai-chat/json.js';
import { fileFromWire, imageFromWire, inputPart } from './media.js';
import { namespacedName, splitNamespaced } from './output.js';
import { array, object, optString, requiredString } from './read.js';

// ---------------------------------------------------------------- wire -> canonical

/** Content of a system or developer message: text only, as canonical system prompts are. */
function systemContent(content: unknown, path: string): TextPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return array(content, path).map((raw, j) => {
    const at = `${path}[${j}]`;
    const p = object(raw, at);
    if (p.type !== 'input_text') throw bad(`${at}.type`, `system and developer messages carry text only (input_text), got ${JSON.stringify(p.type)}`);
    return { type: 'text', text: requiredString(p.text, `${at}.text`) };
  });
}

/** Input content (`input_text`, `input_image`, `input_file`): user messages and function call outputs. */
function inputContent(content: unknown[], path: string): (TextPart | ImagePart | DocumentPart)[] {
  return content.map((raw, j): TextPart | ImagePart | DocumentPart => {
    const at = `${path}[${j}]`;
    const p = object(raw, at);
    switch (p.type) {
      case 'input_text':
        return { type: 'text', text: requiredString(p.text, `${at}.text`) };
      case 'input_image':
        return imageFromWire(p, at);
      case 'input_file':
        return fileFromWire(p, at);
      case 'output_text':
      case 'refusal':
        throw bad(`${at}.type`, `${p.type} belongs in assistant messages; user content is input_text, input_image or input_file`);
      default:
        throw bad(`${at}.type`, `unknown content type ${JSON.stringify(p.type)}; expected input_text, input_image or input_file`);
    }
  });
}

function userContent(content: unknown, path: string): (TextPart | ImagePart | DocumentPart)[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return inputContent(array(content, path), path);
}

/**
 * Assistant content: `output_text` and `refusal` as the API returned them, or `input_text` and a
 * plain string, which the API's EasyInputMessage also allows for the assistant role. A refusal is
 * kept as text, as the Chat dialect does: it is what the model said.
 */
function assistantContent(content: unknown, path: string): TextPart[] {
  // An empty string carries nothing (clients echo it beside function calls).
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return array(content, path).map((raw, j) => {
    const at = `${path}[${j}]`;
    const p = object(raw, at);
    if (p.type === 'output_text' || p.type === 'input_text') return { type: 'text', text: requiredString(p.text, `${at}.text`) };
    if (p.type === 'refusal') return { type: 'text', text: requiredString(p.refusal, `${at}.refusal`) };
    throw bad(`${at}.type`, `expected output_text or refusal in an assistant message, got ${JSON.stringify(p.type)}`);
  });
}

function functionCall(item: Json, path: string): ToolCallPart {
  const id = requiredString(item.call_id, `${path}.call_id`);
  const name = requiredString(item.name, `${path}.name`);
  const namespace = optString(item.namespace, `${path}.namespace`);
  // Arguments are the model's text, kept verbatim even when they are not valid JSON.
  const args = requiredString(item.arguments, `${path}.arguments`);
  return { type: 'tool_call', id, name: namespacedName(namespace, name), arguments: args };
}

function functionCallOutput(item: Json, path: string): ToolResultPart {
  const toolCallId = requiredString(item.call_id, `${path}.call_id`);
  const output = item.output;
  let content: ToolResultPart['content'];
  // An empty result is written as "" (the field is required): read back as no content.
  if (typeof output === 'string') content = output === '' ? [] : [{ type: 'text', text: output }];
  else if (Array.isArray(output)) content = inputContent(output, `${path}.output`);
  else throw expected(`${path}.output`, 'a string or an array of input_text, input_image and input_file parts', output);
  return { type: 'tool_result', toolCallId, content };
}

/**
 * A reasoning item. Its `encrypted_content` is OpenAI's opaque reasoning, kept byte for byte; its id
 * goes in `signature` so the item can be sent back as it came (with store: false, OpenAI matches
 * the two). The readable text is the summary, or the raw reasoning text some servers send instead.
 */
function reasoningItem(item: Json, path: string): ReasoningPart {
  const id = optString(item.id, `${path}.id`);
  const opaque = optString(item.encrypted_content, `${path}.encrypted_content`);
  const texts = (field: 'summary' | 'content', type: string): string[] => {
    const v = item[field];
    if (v === undefined || v === null) return [];
    return array(v, `${path}.${field}`).map((raw, j) => {
      const at = `${path}.${field}[${j}]`;
      const p = object(raw, at);
      if (p.type !== type) throw bad(`${at}.type`, `expected ${JSON.stringify(type)}, got ${JSON.stringify(p.type)}`);
      return requiredString(p.text, `${at}.text`);
    });
  };
  const summary = texts('summary', 'summary_text');
  const raw = summary.length > 0 ? summary : texts('content', 'reasoning_text');
  return {
    type: 'reasoning',
    family: 'openai',
    ...(raw.length > 0 ? { text: raw.join('\n\n') } : {}),
    ...(id !== undefined ? { signature: id } : {}),
    ...(opaque !== undefined ? { opaque } : {}),
  };
}

/**
 * Reads `input` into canonical messages, appending system and developer messages to `system`.
 *
 * Consecutive assistant-side items (assistant messages, function calls, reasoning) form one
 * assistant message, in order, as one model turn does. Function call outputs form one user message
 * in order, and the user message that follows them joins it (Anthropic's shape: a turn's results
 * ahead of the user's text). A system message later in the input is appended to the system prompt:
 * its instructions are kept, its position is not.
 */
export function inputToMessages(input: unknown, system: TextPart[]): Message[] {
  if (typeof input === 'string') return [{ role: 'user', content: [{ type: 'text', text: input }] }];
  const items = array(input, 'input');
  const messages: Message[] = [];
  let toolTurn: Message | null = null;

  const assistant = (parts: ContentPart[]): void => {
    toolTurn = null;
    const last = messages.at(-1);
    if (last?.role === 'assistant') last.content.push(...parts);
    else messages.push({ role: 'assistant', content: parts });
  };

  items.forEach((raw, i) => {
    const at = `input[${i}]`;
    const item = object(raw, at);
    // EasyInputMessage may leave out `type`; a `role` says it is a message.
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message':
        switch (item.role) {
          case 'system':
          case 'developer':
            system.push(...systemContent(item.content, `${at}.content`));
            return;
          case 'user': {
            const parts = userContent(item.content, `${at}.content`);
            if (toolTurn) toolTurn.content.push(...parts);
            else messages.push({ role: 'user', content: parts });
            toolTurn = null;
            return;
          }
          case 'assistant':
            assistant(assistantContent(item.content, `${at}.content`));
            return;
          default:
            throw bad(`${at}.role`, `unknown role ${JSON.stringify(item.role)}; expected user, assistant, system or developer`);
        }
      case 'function_call':
        assistant([functionCall(item, at)]);
        return;
      case 'reasoning':
        assistant([reasoningItem(item, at)]);
        return;
      case 'function_call_output': {
        const part = functionCallOutput(item, at);
        if (toolTurn) toolTurn.content.push(part);
        else {
          toolTurn = { role: 'user', content: [part] };
          messages.push(toolTurn);
        }
        return;
      }
      case 'item_reference':
        throw bad(at, 'item_reference points at an item stored by OpenAI, and the gateway keeps no stored state; send the item itself');
      default:
        throw bad(
          `${at}.type`,
          `input items of type ${JSON.stringify(type)} are not supported by the gateway; it carries message, function_call, function_call_output and reasoning items`,
        );
    }
  });
  return messages;
}

// ---------------------------------------------------------------- canonical -> wire

/** One text part is sent as a plain string (what every Responses server accepts); more as parts. */
function messageContent(parts: (TextPart | ImagePart | DocumentPart)[]): string | Json[] {
  const [only] = parts;
  if (parts.length === 1 && only?.type === 'text') return only.text;
  return parts.map(inputPart);
}

export function systemItem(parts: TextPart[]): Json {
  return { type: 'message', role: 'system', content: messageContent(parts) };
}

function toolOutput(p: ToolResultPart): string | Json[] {
  // isError has no Responses field: the output's text is what the model sees.
  if (p.content.length === 0) return '';
  return messageContent(p.content);
}

/** A reasoning part as an input item, or null when it cannot be sent back (see messagesToInput). */
function reasoningToItem(p: ReasoningPart): Json | null {
  if (p.family !== 'openai' || p.opaque === undefined || p.signature === undefined) return null;
  return {
    type: 'reasoning',
    id: p.signature,
    summary: p.text !== undefined && p.text !== '' ? [{ type: 'summary_text', text: p.text }] : [],
    encrypted_content: p.opaque,
  };
}

/**
 * Canonical messages as input items, in part order. Reasoning goes back only when it is OpenAI's
 * and carries its item id (required on a reasoning input item, in the SDK's ResponseReasoningItem)
 * and its encrypted content: with store: false, OpenAI answers a reasoning item without it with
 * "item not found", and another family's reasoning means nothing to it. `reasoning` says whether
 * any was sent, so the request asks for encrypted content again.
 */
export function messagesToInput(messages: Message[]): { input: Json[]; reasoning: boolean } {
  const input: Json[] = [];
  let reasoning = false;
  for (const m of messages) {
    if (m.role === 'user') {
      let pending: (TextPart | ImagePart | DocumentPart)[] = [];
      const flush = (): void => {
        if (pending.length > 0) input.push({ type: 'message', role: 'user', content: messageContent(pending) });
        pending = [];
      };
      for (const p of m.content) {
        if (p.type === 'tool_result') {
          flush();
          input.push({ type: 'function_call_output', call_id: p.toolCallId, output: toolOutput(p) });
        } else if (p.type === 'text' || p.type === 'image' || p.type === 'document') {
          pending.push(p);
        }
        // tool_call and reasoning parts have no place in a user turn and are not sent.
      }
      flush();
      continue;
    }
    let texts: Json[] = [];
    const flush = (): void => {
      if (texts.length > 0) input.push({ type: 'message', role: 'assistant', content: texts });
      texts = [];
    };
    for (const p of m.content) {
      if (p.type === 'text') texts.push({ type: 'output_text', text: p.text });
      else if (p.type === 'tool_call') {
        flush();
        input.push({ type: 'function_call', call_id: p.id, ...splitNamespaced(p.name), arguments: p.arguments });
      } else if (p.type === 'reasoning') {
        const item = reasoningToItem(p);
        if (!item) continue;
        flush();
        input.push(item);
        reasoning = true;
      }
    }
    flush();
  }
  return { input, reasoning };
}
