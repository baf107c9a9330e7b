-- Mirrors SQLite migration 0010_data_version.sql: the data version's one row,
-- made here at 0 so that the unit of work only ever updates it.
INSERT INTO data_version (id, version) VALUES (1, 0);
