-- 001: the first schema: the event ledger, virtual keys, and the usage view over the ledger.

-- One append-only ledger of every request, refusal and admin change. `body` is the event as
-- canonical JSON, stored exactly as hashed; `hash` = sha256(prev_hash || "\n" || body), so an
-- edit, deletion or reordering breaks the chain from that row on.
-- No secondary indexes: each one roughly doubles the cost of the insert every request pays
-- (measured in bench/). `at` grows with `seq`, so time ranges map to rowid ranges.
CREATE TABLE events (
  seq       INTEGER PRIMARY KEY,
  at        TEXT NOT NULL,
  type      TEXT NOT NULL,
  body      TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);

-- Nothing may rewrite the ledger through SQL run by this program.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event ledger is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event ledger is append-only'); END;

-- Virtual keys. The secret is never stored: only its SHA-256 (the secret has 256 bits of
-- entropy, so a fast hash is enough) and a short prefix to recognise it by.
CREATE TABLE keys (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  prefix          TEXT NOT NULL,
  secret_hash     BLOB NOT NULL UNIQUE,
  user_id         TEXT,
  team_id         TEXT,
  models          TEXT NOT NULL DEFAULT '[]',
  mcp_tools       TEXT NOT NULL DEFAULT '[]',
  budgets         TEXT NOT NULL DEFAULT '[]',
  rpm             INTEGER,
  tpm             INTEGER,
  max_concurrency INTEGER,
  expires_at      TEXT,
  created_at      TEXT NOT NULL,
  rotated_at      TEXT,
  revoked_at      TEXT
);

-- Usage is read from the ledger, never kept in a second place.
CREATE VIEW llm_usage AS
SELECT
  seq,
  at,
  json_extract(body, '$.requestId')              AS request_id,
  json_extract(body, '$.keyId')                  AS key_id,
  json_extract(body, '$.route')                  AS route,
  json_extract(body, '$.provider')               AS provider,
  json_extract(body, '$.model')                  AS model,
  json_extract(body, '$.status')                 AS status,
  json_extract(body, '$.outcome')                AS outcome,
  json_extract(body, '$.stream')                 AS stream,
  json_extract(body, '$.latencyMs')              AS latency_ms,
  json_extract(body, '$.usage.inputTokens')      AS input_tokens,
  json_extract(body, '$.usage.outputTokens')     AS output_tokens,
  json_extract(body, '$.usage.cacheReadTokens')  AS cache_read_tokens,
  json_extract(body, '$.usage.cacheWriteTokens') AS cache_write_tokens,
  json_extract(body, '$.usage.reasoningTokens')  AS reasoning_tokens
FROM events
WHERE type = 'llm.request';
