import type { Migration } from '../store'

/**
 * The release manager's tables. Lists (users, environments, dependencies) are JSON arrays: they are
 * read whole with their flag and never queried by element. Invitation codes are kept only as their
 * SHA-256, so a database copy does not hand out invitations.
 */
export const RELEASE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'flags, adopters, invitations, feedback, telemetry, rollbacks, release state',
    up: `
      CREATE TABLE release_flags (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        rollout INTEGER NOT NULL CHECK (rollout BETWEEN 0 AND 100),
        users TEXT NOT NULL DEFAULT '[]',
        environments TEXT NOT NULL DEFAULT '[]',
        dependencies TEXT NOT NULL DEFAULT '[]',
        expires_at TEXT,
        v4_only INTEGER NOT NULL DEFAULT 0 CHECK (v4_only IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE release_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

      CREATE TABLE release_adopters (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        organization TEXT NOT NULL DEFAULT '',
        use_case TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'waitlisted')),
        access_level TEXT NOT NULL CHECK (access_level IN ('basic', 'advanced', 'full', 'experimental')),
        reputation INTEGER NOT NULL DEFAULT 0,
        applied_at TEXT NOT NULL,
        decided_at TEXT
      ) STRICT;
      CREATE UNIQUE INDEX release_adopters_email ON release_adopters (email);
      CREATE INDEX release_adopters_status ON release_adopters (status, applied_at);

      CREATE TABLE release_invitations (
        code_hash TEXT PRIMARY KEY,
        hint TEXT NOT NULL,
        access_level TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_by TEXT
      ) STRICT;

      CREATE TABLE release_feedback (
        id INTEGER PRIMARY KEY,
        adopter_id TEXT REFERENCES release_adopters (id),
        type TEXT NOT NULL CHECK (type IN ('bug', 'feature', 'improvement', 'question')),
        category TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'responded', 'resolved')),
        resolution TEXT,
        response TEXT,
        created_at TEXT NOT NULL,
        first_response_at TEXT,
        resolved_at TEXT
      ) STRICT;
      CREATE INDEX release_feedback_status ON release_feedback (status, created_at);

      CREATE TABLE release_telemetry (
        id INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        event TEXT NOT NULL,
        user_hash TEXT,
        properties TEXT NOT NULL
      ) STRICT;
      CREATE INDEX release_telemetry_time ON release_telemetry (time);

      CREATE TABLE release_rollbacks (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        backup_file TEXT NOT NULL,
        flags_turned_off TEXT NOT NULL,
        protocol_before TEXT,
        agents TEXT NOT NULL,
        rolled_forward_at TEXT
      ) STRICT;
    `,
  },
]
