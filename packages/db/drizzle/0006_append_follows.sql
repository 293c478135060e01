-- The append also answers each entry's position and `follows`: the log's head when the
-- feed lock was taken (its newest committed position, or the trim mark when trimming
-- took everything). The lock makes positions follow commit order, so nothing can commit
-- between `follows` and this append's entries: the instance that wrote them can hand its
-- own committed changes to its feed without reading them back, whenever its feed has sent
-- everything up to `follows` (apps/server/src/feed/hub.ts). `follows` is read after the
-- lock, in a statement of its own, so a read-committed transaction sees every append that
-- committed before it; under a snapshot taken earlier (repeatable read) it is null, and
-- the feed reads the log as before.
DROP FUNCTION "tandem_append_changes"(jsonb, bigint, bigint, text);
--> statement-breakpoint
CREATE FUNCTION "tandem_append_changes"(entries jsonb, replaces bigint, lock_key bigint, channel text,
  OUT positions bigint[], OUT follows bigint)
LANGUAGE plpgsql AS $$
DECLARE
  _count bigint := jsonb_array_length(entries);
  _keep bigint := CASE WHEN replaces IS NULL THEN _count ELSE _count - 1 END;
  _moved bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  IF current_setting('transaction_isolation') = 'read committed' THEN
    SELECT greatest(coalesce(max("position"), 0), coalesce((SELECT max("trimmed_through") FROM "change_log_trim"), 0))
    INTO follows FROM "change_log";
  END IF;
  WITH appended AS (
    INSERT INTO "change_log" ("entity", "op", "id", "project_id", "row")
    SELECT e.entity, e.op, e.id, e.project_id, e."row"
    FROM ROWS FROM (jsonb_to_recordset(entries) AS (entity text, op text, id uuid, project_id uuid, "row" jsonb))
      WITH ORDINALITY AS e(entity, op, id, project_id, "row", n)
    WHERE e.n <= _keep
    ORDER BY e.n
    RETURNING "position"
  )
  SELECT coalesce(array_agg("position" ORDER BY "position"), '{}') INTO positions FROM appended;
  IF _keep < _count THEN
    UPDATE "change_log"
    SET "position" = nextval(pg_get_serial_sequence('change_log', 'position')), "at" = now(),
      "row" = entries -> (_count - 1)::int -> 'row'
    WHERE "position" = replaces AND "entity" = 'message' AND "op" = 'upsert'
      AND "id" = (entries -> (_count - 1)::int ->> 'id')::uuid
    RETURNING "position" INTO _moved;
    IF _moved IS NULL THEN
      INSERT INTO "change_log" ("entity", "op", "id", "project_id", "row")
      SELECT e.entity, e.op, e.id, e.project_id, e."row"
      FROM jsonb_to_record(entries -> (_count - 1)::int) AS e(entity text, op text, id uuid, project_id uuid, "row" jsonb)
      RETURNING "position" INTO _moved;
    END IF;
    positions := positions || _moved;
  END IF;
  PERFORM pg_notify(channel, positions[cardinality(positions)]::text);
END
$$;
