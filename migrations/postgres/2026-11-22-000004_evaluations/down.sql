DROP TABLE evaluation_deadlines;
DROP TABLE evaluation_parties;
DROP TABLE evaluations;
