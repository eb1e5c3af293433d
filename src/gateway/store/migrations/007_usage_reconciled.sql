-- 007: a request a crash left without its record is charged in full at the next start
-- (`budget.reconciled`). Budgets count it as spent; the usage view shows it too, as a request with
-- outcome 'reconciled', its reservation as its cost and no token counts, so reports and budgets agree.
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
  CASE WHEN type = 'budget.reconciled' THEN 'reconciled' ELSE json_extract(body, '$.outcome') END AS outcome,
  json_extract(body, '$.stream')                 AS stream,
  json_extract(body, '$.latencyMs')              AS latency_ms,
  json_extract(body, '$.ttftMs')                 AS ttft_ms,
  json_extract(body, '$.usage.inputTokens')      AS input_tokens,
  json_extract(body, '$.usage.outputTokens')     AS output_tokens,
  json_extract(body, '$.usage.cacheReadTokens')  AS cache_read_tokens,
  json_extract(body, '$.usage.cacheWriteTokens') AS cache_write_tokens,
  json_extract(body, '$.usage.reasoningTokens')  AS reasoning_tokens,
  CASE WHEN type = 'budget.reconciled' THEN 1 ELSE json_extract(body, '$.usageEstimated') END AS usage_estimated,
  json_extract(body, '$.costUsd')                AS cost_usd
FROM events
WHERE type IN ('llm.request', 'budget.reconciled');
