import type { Migration } from '../store'

/**
 * The audit tables. Entries are append-only (triggers refuse UPDATE and DELETE, as a second line of
 * defence behind an API that has neither). Every complete Merkle subtree is stored in audit_nodes, so
 * an inclusion or consistency proof is a handful of point lookups at any log size.
 */
export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'append-only entries, Merkle nodes, signed heads, full-text search',
    up: `
      CREATE TABLE audit_entries (
        seq INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        intent_id TEXT,
        safety TEXT CHECK (safety IN ('safe', 'caution', 'dangerous', 'critical')),
        outcome TEXT NOT NULL,
        details TEXT NOT NULL,
        leaf_hash BLOB NOT NULL
      ) STRICT;
      CREATE INDEX audit_entries_time ON audit_entries (time);
      CREATE INDEX audit_entries_actor ON audit_entries (actor, seq);
      CREATE INDEX audit_entries_action ON audit_entries (action, seq);
      CREATE INDEX audit_entries_safety ON audit_entries (safety, seq);
      CREATE INDEX audit_entries_outcome ON audit_entries (outcome, seq);

      CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
      CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;

      CREATE TABLE audit_nodes (
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (level, idx)
      ) WITHOUT ROWID, STRICT;

      CREATE TABLE audit_heads (
        id INTEGER PRIMARY KEY,
        size INTEGER NOT NULL,
        root BLOB NOT NULL,
        key_fingerprint TEXT NOT NULL,
        note TEXT NOT NULL,
        made_at TEXT NOT NULL,
        reason TEXT NOT NULL
      ) STRICT;

      CREATE TABLE audit_keys (
        fingerprint TEXT PRIMARY KEY,
        origin TEXT NOT NULL,
        public_key BLOB NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE VIRTUAL TABLE audit_fts USING fts5(action, target, details, content='audit_entries', content_rowid='seq', tokenize='unicode61');
      CREATE TRIGGER audit_entries_fts AFTER INSERT ON audit_entries BEGIN
        INSERT INTO audit_fts (rowid, action, target, details) VALUES (new.seq, new.action, new.target, new.details);
      END;
    `,
  },
  {
    version: 2,
    name: 'full-text index also over actor, safety and outcome; it replaces their B-tree indexes',
    // A search combined with a filter that matches nothing used to walk every hit of the search and
    // test each row; with the filter inside the full-text query, FTS5 intersects the two lists itself.
    // Filters alone go through the same index, so four B-tree indexes that every append paid for go.
    up: `
      DROP INDEX audit_entries_actor;
      DROP INDEX audit_entries_action;
      DROP INDEX audit_entries_safety;
      DROP INDEX audit_entries_outcome;
      DROP TRIGGER audit_entries_fts;
      DROP TABLE audit_fts;
      CREATE VIRTUAL TABLE audit_fts USING fts5(action, target, details, actor, safety, outcome, content='audit_entries', content_rowid='seq', tokenize='unicode61');
      INSERT INTO audit_fts (audit_fts) VALUES ('rebuild');
      CREATE TRIGGER audit_entries_fts AFTER INSERT ON audit_entries BEGIN
        INSERT INTO audit_fts (rowid, action, target, details, actor, safety, outcome) VALUES (new.seq, new.action, new.target, new.details, new.actor, new.safety, new.outcome);
      END;
    `,
  },
]
