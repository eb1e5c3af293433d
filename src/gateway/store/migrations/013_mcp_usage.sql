-- 013: MCP tool calls as a view, read from the ledger like llm_usage: what `report --group-by tool`
-- and the HTML/PDF reports' tool tables sum. `session` is the MCP session, not the agent session of
-- llm_usage; `cost_usd` is the server's configured price, null when none applies or the call was refused.
CREATE VIEW mcp_usage AS
SELECT
  seq,
  at,
  json_extract(body, '$.requestId')  AS request_id,
  json_extract(body, '$.keyId')      AS key_id,
  json_extract(body, '$.session')    AS session,
  json_extract(body, '$.server')     AS server,
  json_extract(body, '$.tool')       AS tool,
  json_extract(body, '$.name')       AS name,
  json_extract(body, '$.decision')   AS decision,
  json_extract(body, '$.outcome')    AS outcome,
  json_extract(body, '$.costUsd')    AS cost_usd,
  json_extract(body, '$.durationMs') AS duration_ms
FROM events
WHERE type = 'mcp.call';
