// Edits of YAML settings files through the yaml Document API, which keeps the user's comments.
import { isMap, isNode, parseDocument, type Document } from 'yaml';
import { SetupError } from '../recipe.js';

/** The file's document (an empty map for a missing or empty file), or a SetupError naming the problem. */
export function parseYamlMap(text: string | null, file: string): Document {
  const doc: Document = parseDocument(text ?? '', { prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new SetupError('SETUP_UNPARSABLE', `${file} is not valid YAML (${first.code} at line ${first.linePos?.[0]?.line ?? '?'}): fix it or move it aside, then run this again`);
  }
  if (doc.contents === null) doc.contents = doc.createNode({});
  if (!isMap(doc.contents)) throw new SetupError('SETUP_UNPARSABLE', `${file} does not hold a YAML mapping at its top: fix it or move it aside, then run this again`);
  return doc;
}

/** Whether a node (or plain value) equals `value` as data. */
export function sameYaml(node: unknown, value: unknown): boolean {
  const plain = isNode(node) ? node.toJSON() : node;
  return JSON.stringify(plain) === JSON.stringify(value);
}

/**
 * The document as text in the file's own sequence style (`- item` under its key, indented or
 * not), never folding long lines.
 */
export function renderYaml(doc: Document, original: string | null): string {
  const flushSeq = original !== null && /^[^\s#][^\n]*:[ \t]*\r?\n- /m.test(original);
  const text = doc.toString({ lineWidth: 0, indentSeq: !flushSeq });
  return original?.includes('\r\n') ? text.replace(/\r?\n/g, '\r\n') : text;
}
