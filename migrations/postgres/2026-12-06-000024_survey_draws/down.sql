DROP TABLE survey_draws;
