DROP TABLE stated_totals;
