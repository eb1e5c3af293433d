-- 004: the usage view shows how the call arrived: 'http' (a request, SSE for streams) or 'websocket'
-- (a turn on the Responses API's WebSocket mode). Records written before 004 have no field: 'http'.
DROP VIEW llm_usage;
CREATE VIEW llm_usage AS
SELECT
  seq,
  at,
  json_extract(body, '$.requestId')              AS request_id,
  json_extract(body, '$.keyId')                  AS key_id,
  json_extract(body, '$.api')                    AS api,
  json_extract(body, '$.session')                AS session,
  json_extract(body, '$.client')                 AS client,
  coalesce(json_extract(body, '$.transport'), 'http') AS transport,
  json_extract(body, '$.route')                  AS route,
  json_extract(body, '$.provider')               AS provider,
  json_extract(body, '$.model')                  AS model,
  json_extract(body, '$.translated')             AS translated,
  json_extract(body, '$.credential')             AS credential,
  json_extract(body, '$.status')                 AS status,
  json_extract(body, '$.outcome')                AS outcome,
  json_extract(body, '$.stream')                 AS stream,
  json_extract(body, '$.latencyMs')              AS latency_ms,
  json_extract(body, '$.ttftMs')                 AS ttft_ms,
  json_extract(body, '$.usage.inputTokens')      AS input_tokens,
  json_extract(body, '$.usage.outputTokens')     AS output_tokens,
  json_extract(body, '$.usage.cacheReadTokens')  AS cache_read_tokens,
  json_extract(body, '$.usage.cacheWriteTokens') AS cache_write_tokens,
  json_extract(body, '$.usage.reasoningTokens')  AS reasoning_tokens,
  json_extract(body, '$.usageEstimated')         AS usage_estimated,
  json_extract(body, '$.costUsd')                AS cost_usd
FROM events
WHERE type = 'llm.request';
