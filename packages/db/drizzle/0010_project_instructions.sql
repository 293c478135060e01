ALTER TABLE "projects" ADD COLUMN "instructions" text DEFAULT '' NOT NULL;
