CREATE TABLE "change_log" (
	"position" bigserial PRIMARY KEY NOT NULL,
	"entity" text NOT NULL,
	"op" text NOT NULL,
	"id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"row" jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "change_log_entity_check" CHECK ("change_log"."entity" in ('project', 'message', 'running_process')),
	CONSTRAINT "change_log_op_check" CHECK ("change_log"."op" in ('upsert', 'delete'))
);
--> statement-breakpoint
CREATE TABLE "change_log_trim" (
	"one" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"trimmed_through" bigint NOT NULL,
	CONSTRAINT "change_log_trim_one_row" CHECK ("change_log_trim"."one")
);
--> statement-breakpoint
CREATE INDEX "change_log_at_idx" ON "change_log" USING btree ("at");