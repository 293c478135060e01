-- The session behind a request's cookie token (unexpired), its user, and the user's role
-- in `project` (NULL when not a member, or when `project` is NULL): the one read every
-- API request in AUTH=accounts makes before anything else (apps/server/src/access.ts).
-- A function so its query is planned once per connection and kept: planning the join
-- each time cost more than running it, on the hottest path there is.
CREATE FUNCTION "tandem_session_access"(session_token text, project uuid)
RETURNS TABLE(session_id uuid, user_id uuid, name text, email text, role text)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    SELECT s."id", u."id", u."name", u."email", pm."role"
    FROM "sessions" s
    JOIN "users" u ON u."id" = s."user_id"
    LEFT JOIN "project_members" pm ON pm."project_id" = project AND pm."user_id" = s."user_id"
    WHERE s."token" = session_token AND s."expires_at" > now();
END
$$;
