-- 合同期限 as the roster states it ("2010.01.01-无固定期"): annex 2 of the report prints it.
ALTER TABLE workers ADD COLUMN contract_term TEXT;
