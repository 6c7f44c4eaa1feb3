package catalog

// migrations are applied in order; a database's PRAGMA user_version is the
// number applied. Never edit a released entry: append a new one.
var migrations = []string{
	// 1: records.
	`CREATE TABLE records (
		id            TEXT PRIMARY KEY,
		kind          TEXT NOT NULL CHECK (kind IN ('fhir', 'attachment')),
		resource_type TEXT NOT NULL,
		category      TEXT NOT NULL,
		content_type  TEXT NOT NULL,
		size          INTEGER NOT NULL CHECK (size >= 0),
		cid           TEXT NOT NULL,
		sealed_meta   BLOB NOT NULL,
		added_at      INTEGER NOT NULL
	) STRICT;
	CREATE INDEX records_by_type ON records (resource_type);
	CREATE INDEX records_by_category ON records (category);
	CREATE INDEX records_by_cid ON records (cid);`,
}
