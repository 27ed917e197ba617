DROP TABLE agreements;
DROP TABLE communities;
DROP TABLE zones;
DROP TABLE stations;
