-- What the programme's lists, workbooks and dashboards read without recomputing every
-- evaluation (DESIGN.md §8): the total and grade once every component is in, the date of the
-- current stage's next deadline (null when no party owes anything), the indicators below 80 %
-- (codes separated by commas) and the summary's figures (JSON: each party's weighted component,
-- each indicator's completion, the staffing figures). The application keeps
-- them right in the transaction of every write to the evaluation; standing_version says which
-- rules computed them (0: never, filled in at start-up).
ALTER TABLE evaluations ADD COLUMN total_hundredths BIGINT;
ALTER TABLE evaluations ADD COLUMN grade_code TEXT;
ALTER TABLE evaluations ADD COLUMN due_on DATE;
ALTER TABLE evaluations ADD COLUMN weak_indicators TEXT NOT NULL DEFAULT '';
ALTER TABLE evaluations ADD COLUMN figures TEXT NOT NULL DEFAULT '{}';
ALTER TABLE evaluations ADD COLUMN standing_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX evaluations_assessment_start ON evaluations (assessment_start);
CREATE INDEX evaluations_state_due ON evaluations (state, due_on);
CREATE INDEX stations_district ON stations (district, street);
CREATE INDEX rectifications_evaluation ON rectifications (evaluation_id);
