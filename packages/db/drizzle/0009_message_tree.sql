ALTER TABLE "messages" ADD COLUMN "parent_id" uuid;--> statement-breakpoint
-- Chats before versions were one line: each message follows the previous one of its project.
UPDATE "messages" AS m SET "parent_id" = ordered.previous
FROM (
  SELECT "id", lag("id") OVER (PARTITION BY "project_id" ORDER BY "created_at", "id") AS previous
  FROM "messages"
) AS ordered
WHERE m."id" = ordered."id" AND ordered.previous IS NOT NULL;--> statement-breakpoint
-- The log's message rows are in the wire shape, which now has parentId: a client catching up reads them.
UPDATE "change_log" AS c SET "row" = c."row" || jsonb_build_object('parentId', m."parent_id")
FROM "messages" AS m
WHERE c."entity" = 'message' AND c."id" = m."id";--> statement-breakpoint
UPDATE "change_log" SET "row" = "row" || '{"parentId": null}'::jsonb
WHERE "entity" = 'message' AND NOT ("row" ? 'parentId');--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_parent_id_messages_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "messages_parent_idx" ON "messages" USING btree ("parent_id");
