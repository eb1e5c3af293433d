// Gemini GenerateContentResponse bodies <-> the canonical response.
//
// Wire format: https://ai.google.dev/api/generate-content#generatecontentresponse (read 2026-11).
import type { CanonicalResponse } from '../../canonical.js';
import { GatewayError } from '../../../errors.js';
import { usageFromGemini, usageToGemini, ZERO_USAGE } from '../../usage.js';
import { canonicalToModelParts, finishReasonOf, isRecord, modelPartsToCanonical, newResponseId, responseCallId, stopReasonOf } from './parts.js';

/** The candidate the gateway reads: index 0 (a request may ask for several; one is answered). */
export function firstCandidate(candidates: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(candidates)) return undefined;
  const records = candidates.filter(isRecord);
  return records.find((c) => (c.index ?? 0) === 0) ?? records[0];
}

/**
 * A response without `responseId` gets a generated id; function calls without `id` get ids derived
 * from the response id (prefixed `gemgen_`, left out again when sent to Gemini). A prompt blocked
 * before generation (`promptFeedback.blockReason`, no candidates) is a content filter with no content.
 */
export function responseToCanonical(body: Record<string, unknown>): CanonicalResponse {
  if (!Array.isArray(body.candidates) && !isRecord(body.promptFeedback)) {
    throw new GatewayError('UPSTREAM_ERROR', 'Gemini answered with a body that is not a GenerateContentResponse (no candidates and no promptFeedback)');
  }
  const id = typeof body.responseId === 'string' && body.responseId !== '' ? body.responseId : newResponseId();
  const model = typeof body.modelVersion === 'string' ? body.modelVersion : '';
  const usage = usageFromGemini(body.usageMetadata) ?? { ...ZERO_USAGE };
  const candidate = firstCandidate(body.candidates);
  if (!candidate) {
    const blocked = isRecord(body.promptFeedback) && typeof body.promptFeedback.blockReason === 'string';
    return { id, model, content: [], stopReason: blocked ? 'content_filter' : 'end', usage };
  }
  const parts = isRecord(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
  const content = modelPartsToCanonical(parts, (n) => responseCallId(id, n));
  return { id, model, content, stopReason: stopReasonOf(candidate.finishReason, content.some((p) => p.type === 'tool_call')), usage };
}

/** Canonical -> GenerateContentResponse, for a Gemini client: thoughts are shown as `thought` parts. */
export function responseFromCanonical(res: CanonicalResponse): Record<string, unknown> {
  const parts = canonicalToModelParts(res.content, true);
  const candidate: Record<string, unknown> = {};
  // Gemini leaves `content` out of a candidate that has none (e.g. blocked output).
  if (parts.length > 0) candidate.content = { parts, role: 'model' };
  candidate.finishReason = finishReasonOf(res.stopReason);
  candidate.index = 0;
  return {
    candidates: [candidate],
    usageMetadata: usageToGemini(res.usage),
    modelVersion: res.model,
    responseId: res.id,
  };
}
