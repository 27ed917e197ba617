DROP TABLE deadline_extensions;
