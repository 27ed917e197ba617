DROP TABLE self_assessments;
DROP TABLE worker_months;
DROP TABLE workers;
DROP TABLE completions;
