-- 005: budget reservations in flight. A row is written before a request under a budget goes
-- upstream and deleted once the request's own record (llm.request) is in the ledger. A row left by
-- a crash is a request whose cost is unknown: at start-up it is charged in full (a
-- budget.reconciled event) and deleted, so a crash can make a budget look more spent, never less.
CREATE TABLE budget_reservations (
  request_id TEXT PRIMARY KEY,
  key_id     TEXT NOT NULL,
  amount_usd REAL NOT NULL,
  at         TEXT NOT NULL
);
