// Images and files in Responses input content (`input_image`, `input_file`), both ways; shared by messages and tool outputs.
// Wire format: https://platform.openai.com/docs/api-reference/responses/create (input item content list)
// and https://platform.openai.com/docs/guides/pdf-files (file_data as a data: URL, or file_url).
import { GatewayError } from '../../../errors.js';
import type { DocumentPart, ImagePart, MediaSource, TextPart } from '../../canonical.js';
import { bad, type Json } from '../openai-chat/json.js';
import { optString } from './read.js';

/** `data:<media type>[;params];base64,<data>` -> its parts; null when `url` is not a base64 data URL. */
function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  if (!url.startsWith('data:')) return null;
  const comma = url.indexOf(',');
  if (comma < 0) return null;
  const params = url.slice(5, comma).split(';');
  if (!params.slice(1).some((p) => p.trim().toLowerCase() === 'base64')) return null;
  return { mediaType: params[0]?.trim() || 'application/octet-stream', data: url.slice(comma + 1) };
}

const NOT_BASE64 = 'a data: URL must be base64-encoded (data:<type>;base64,<data>)';

function mediaSource(url: string, path: string): MediaSource {
  if (url.startsWith('data:')) {
    const parsed = parseDataUrl(url);
    if (!parsed) throw bad(path, NOT_BASE64);
    return { kind: 'base64', mediaType: parsed.mediaType, data: parsed.data };
  }
  if (/^https?:\/\//i.test(url)) return { kind: 'url', url };
  throw bad(path, 'expected an http(s) URL or a base64 data: URL');
}

/** Uploaded files live in the client's OpenAI account, which the gateway cannot read for another provider. */
function refuseFileId(p: Json, path: string): void {
  if (p.file_id !== undefined && p.file_id !== null) {
    throw bad(`${path}.file_id`, 'uploaded file ids cannot be resolved by the gateway; send the content inline (image_url or file_data)');
  }
}

export function imageFromWire(p: Json, path: string): ImagePart {
  refuseFileId(p, path);
  const url = optString(p.image_url, `${path}.image_url`);
  if (url === undefined) throw bad(`${path}.image_url`, 'expected the image as an http(s) URL or a base64 data: URL');
  const detail = optString(p.detail, `${path}.detail`);
  return { type: 'image', source: mediaSource(url, `${path}.image_url`), ...(detail !== undefined ? { detail } : {}) };
}

export function fileFromWire(p: Json, path: string): DocumentPart {
  refuseFileId(p, path);
  const title = optString(p.filename, `${path}.filename`);
  const titled = title !== undefined ? { title } : {};
  const fileUrl = optString(p.file_url, `${path}.file_url`);
  const fileData = optString(p.file_data, `${path}.file_data`);
  if (fileData === undefined) {
    if (fileUrl === undefined) throw bad(path, 'expected file_data (a base64 data: URL) or file_url');
    if (!/^https?:\/\//i.test(fileUrl)) throw bad(`${path}.file_url`, 'expected an http(s) URL');
    return { type: 'document', source: { kind: 'url', url: fileUrl }, ...titled };
  }
  // OpenAI's examples send a data: URL; some clients send bare base64, which OpenAI reads as a PDF.
  const parsed = parseDataUrl(fileData) ?? (fileData.startsWith('data:') ? null : { mediaType: 'application/pdf', data: fileData });
  if (!parsed) throw bad(`${path}.file_data`, NOT_BASE64);
  const mediaType = parsed.mediaType.toLowerCase();
  if (mediaType === 'application/pdf') return { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: parsed.data }, ...titled };
  if (mediaType === 'text/plain') {
    return { type: 'document', source: { kind: 'text', mediaType: 'text/plain', data: Buffer.from(parsed.data, 'base64').toString('utf8') }, ...titled };
  }
  throw bad(`${path}.file_data`, `files of type ${parsed.mediaType} are not supported; send a PDF (application/pdf) or plain text`);
}

function sourceUrl(source: MediaSource): string {
  return source.kind === 'url' ? source.url : `data:${source.mediaType};base64,${source.data}`;
}

/** A canonical text, image or document part as Responses input content. */
export function inputPart(p: TextPart | ImagePart | DocumentPart): Json {
  switch (p.type) {
    case 'text':
      return { type: 'input_text', text: p.text };
    case 'image':
      return { type: 'input_image', image_url: sourceUrl(p.source), ...(p.detail !== undefined ? { detail: p.detail } : {}) };
    case 'document': {
      const { source } = p;
      // Plain text travels as text: it is what a model would read from the file anyway, and every
      // Responses server takes it.
      if (source.kind === 'text') return { type: 'input_text', text: p.title !== undefined ? `${p.title}\n\n${source.data}` : source.data };
      if (source.kind === 'url') return { type: 'input_file', file_url: source.url, ...(p.title !== undefined ? { filename: p.title } : {}) };
      if (source.mediaType !== 'application/pdf') {
        throw new GatewayError('BAD_REQUEST', `a ${source.mediaType} document cannot be sent to an OpenAI Responses provider; send a PDF or plain text`);
      }
      // OpenAI asks for a filename beside inline file_data.
      return { type: 'input_file', filename: p.title ?? 'document.pdf', file_data: sourceUrl(source) };
    }
  }
}
