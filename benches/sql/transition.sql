-- One workflow transition (submit_self_assessment ⇄ return_self_assessment) as the server writes
-- it, for pgbench: the evaluation's row lock, the versioned state UPDATE and its stored standing,
-- the audit INSERT with its chain link, one in-app notification and one outbox message
-- (rendered bodies, Reply-To, a unique Message-ID) per user of the notified organizations. `tests/api/bench_scripts.rs` runs
-- it beside a transition over HTTP and compares the rows each wrote.
--
-- Variables (pgbench -D): eid (set by the caller's \set), actor_id, actor_org, orgs (the
-- notified organizations, comma-separated), text_len, html_len and note_len (the rendered
-- bodies' lengths in characters).
BEGIN;
SELECT state, version FROM evaluations WHERE id = :eid FOR UPDATE \gset
WITH moved AS (
  UPDATE evaluations
     SET state = CASE WHEN ':state' = 'self_assessment' THEN 'onsite_scoring' ELSE 'self_assessment' END,
         version = :version + 1, updated_at = now()
   WHERE id = :eid AND state = ':state' AND version = :version
  RETURNING 1)
SELECT COUNT(*) AS moved FROM moved \gset
\if :moved
-- The stored standing (app::standing), refreshed by every write: the next deadline's date is the
-- new stage's; the total and the figures are written again as they were.
UPDATE evaluations
   SET due_on = (SELECT due_on FROM evaluation_deadlines
                  WHERE evaluation_id = :eid
                    AND stage = CASE WHEN ':state' = 'self_assessment' THEN 'onsite_scoring' ELSE 'self_assessment' END),
       total_hundredths = total_hundredths, grade_code = grade_code,
       weak_indicators = weak_indicators, figures = figures, standing_version = standing_version
 WHERE id = :eid;
SELECT seq AS head_seq, hash AS head_hash FROM audit_log
 WHERE chain = 'evaluation:' || :eid ORDER BY seq DESC LIMIT 1 \gset
INSERT INTO audit_log (chain, seq, evaluation_id, actor_id, actor_org_id, action, entity,
    entity_id, from_state, to_state, summary, reason, request_id, at, prev_hash, hash)
VALUES ('evaluation:' || :eid, :head_seq + 1, :eid, :actor_id, :actor_org, 'pgbench', 'evaluation',
    :eid, ':state', CASE WHEN ':state' = 'self_assessment' THEN 'onsite_scoring' ELSE 'self_assessment' END,
    '提交自评：自评 → 实地评估', CASE WHEN ':state' = 'self_assessment' THEN NULL ELSE '压测' END,
    gen_random_uuid()::text, now(), ':head_hash',
    encode(sha256(convert_to(':head_hash' || (:head_seq + 1)::text || ':state', 'UTF8')), 'hex'))
RETURNING id AS audit_id \gset
INSERT INTO notifications (user_id, evaluation_id, event, title, body, dedupe_key, created_at)
SELECT id, :eid, 'pgbench', '【西村街社工服务站中期评估】社工站已提交自评', repeat('评', :note_len), NULL, now()
  FROM users
 WHERE organization_id IN (:orgs) AND NOT disabled AND role <> 'expert'
 ORDER BY id;
INSERT INTO outbox (event, evaluation_id, audit_id, recipient_user_id, to_address, subject,
    body_text, body_html, reply_to, message_id, dedupe_key, status, attempts, next_attempt_at,
    created_at)
SELECT 'pgbench', :eid, :audit_id, u.id, u.email, '【西村街社工服务站中期评估】社工站已提交自评',
       repeat('评', :text_len), repeat('评', :html_len),
       (SELECT a.display_name || ' <' || a.email || '>' FROM users a WHERE a.id = :actor_id),
       '<' || gen_random_uuid() || '@pinggu.bench>', NULL, 'queued', 0, now(), now()
  FROM users u
 WHERE u.organization_id IN (:orgs) AND NOT u.disabled AND u.role <> 'expert'
   AND u.email IS NOT NULL AND trim(u.email) <> ''
 ORDER BY u.id;
\endif
END;
