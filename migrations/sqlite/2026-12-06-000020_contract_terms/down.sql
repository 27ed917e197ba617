ALTER TABLE workers DROP COLUMN contract_term;
