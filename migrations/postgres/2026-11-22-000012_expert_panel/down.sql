DROP TABLE expert_scores;
DROP TABLE panel;
DROP TABLE expert_affiliations;
