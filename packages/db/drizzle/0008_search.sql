-- Full-text search (issue 11). The vectors are generated columns, kept by Postgres on
-- every insert and update (a reply's batches included), and not declared in the Drizzle
-- tables: a `select()` of every message read would otherwise carry its vector too.
-- 'english' stems ("foxes were jumping" holds fox and jump) and drops stop words.
ALTER TABLE "messages" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, "content")) STORED;--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("search");--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, "name")) STORED;--> statement-breakpoint
CREATE INDEX "projects_search_idx" ON "projects" USING gin ("search");
