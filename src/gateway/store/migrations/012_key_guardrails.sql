-- 012: a key may name a guardrail profile (the config's `guardrails.profiles`): its calls run with
-- the global guardrails as that profile changes them.
ALTER TABLE keys ADD COLUMN guardrails TEXT;
