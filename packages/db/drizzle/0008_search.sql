-- Full-text search (issue 11). The vectors are generated columns, kept by Postgres on
-- every insert and update, and not declared in the Drizzle tables: a `select()` of every
-- message read would otherwise carry its vector too. 'english' stems ("foxes were
-- jumping" holds fox and jump) and drops stop words. A reply being written has no vector
-- until it ends: its batches (several a second) then neither re-parse the growing text
-- nor touch the index (the update stays HOT). The GIN indexes take each row at once
-- (fastupdate off): with a pending list, every search scans it until a vacuum merges it,
-- and PGlite has no autovacuum.
ALTER TABLE "messages" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (CASE WHEN "status" = 'streaming' THEN NULL ELSE to_tsvector('english'::regconfig, "content") END) STORED;--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("search") WITH (fastupdate = off);--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, "name")) STORED;--> statement-breakpoint
CREATE INDEX "projects_search_idx" ON "projects" USING gin ("search") WITH (fastupdate = off);
