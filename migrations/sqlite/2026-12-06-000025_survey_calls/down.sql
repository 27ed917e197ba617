DROP TABLE survey_calls;
