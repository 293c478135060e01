-- Appends a transaction's changes to the change log, in the given order, and wakes every
-- instance's feed: one call, so its statements are planned once per connection and kept.
-- `entries` is a JSON array of {entity, op, id, project_id, row}. `replaces`: the position
-- of an entry the last one supersedes (a reply's previous batch), moved to a new position
-- with the new row instead of appending one. Answers the last position. The lock is the
-- one that makes positions follow commit order (see apps/server/src/feed/change-log.ts).
CREATE FUNCTION "tandem_append_changes"(entries jsonb, replaces bigint, lock_key bigint, channel text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  _count bigint := jsonb_array_length(entries);
  _keep bigint := CASE WHEN replaces IS NULL THEN _count ELSE _count - 1 END;
  _last bigint;
  _moved bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  WITH appended AS (
    INSERT INTO "change_log" ("entity", "op", "id", "project_id", "row")
    SELECT e.entity, e.op, e.id, e.project_id, e."row"
    FROM ROWS FROM (jsonb_to_recordset(entries) AS (entity text, op text, id uuid, project_id uuid, "row" jsonb))
      WITH ORDINALITY AS e(entity, op, id, project_id, "row", n)
    WHERE e.n <= _keep
    ORDER BY e.n
    RETURNING "position"
  )
  SELECT max("position") INTO _last FROM appended;
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
    _last := _moved;
  END IF;
  PERFORM pg_notify(channel, _last::text);
  RETURN _last;
END
$$;
