-- 003: a key may name a default route, used when a client asks for a model name the config does
-- not know (agents send names of their own: dated ids, a small model for side tasks).
ALTER TABLE keys ADD COLUMN default_route TEXT;
