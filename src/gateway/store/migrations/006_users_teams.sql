-- 006: users and teams as records of their own. A key belongs to at most one user and at most one
-- team (keys.user_id / keys.team_id hold their ids); users and teams are independent of each other.
-- Each carries the same policy fields as a key: grants (models, mcp_tools: JSON arrays of globs),
-- budgets (JSON [{amountUsd, window}]) and limits. Nothing is deleted: a user or team is disabled,
-- which refuses all its keys at once and keeps what the ledger says about it readable.
CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  email           TEXT,
  models          TEXT NOT NULL DEFAULT '[]',
  mcp_tools       TEXT NOT NULL DEFAULT '[]',
  budgets         TEXT NOT NULL DEFAULT '[]',
  rpm             INTEGER,
  tpm             INTEGER,
  max_concurrency INTEGER,
  created_at      TEXT NOT NULL,
  disabled_at     TEXT
);

CREATE TABLE teams (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  models          TEXT NOT NULL DEFAULT '[]',
  mcp_tools       TEXT NOT NULL DEFAULT '[]',
  budgets         TEXT NOT NULL DEFAULT '[]',
  rpm             INTEGER,
  tpm             INTEGER,
  max_concurrency INTEGER,
  created_at      TEXT NOT NULL,
  disabled_at     TEXT
);

-- Before 006 a key's user and team were free text, never checked. Each distinct text becomes a
-- record whose id and name are that text, so every existing key still names a real user or team
-- (and usage already grouped by that text keeps its group).
INSERT INTO users (id, name, created_at)
  SELECT user_id, user_id, MIN(created_at) FROM keys WHERE user_id IS NOT NULL GROUP BY user_id;
INSERT INTO teams (id, name, created_at)
  SELECT team_id, team_id, MIN(created_at) FROM keys WHERE team_id IS NOT NULL GROUP BY team_id;
