import type { Migration } from '../store'

/**
 * Devices, deployments and where each replica runs. Live figures (load, RTT, last heartbeat) are
 * written in batches: the in-memory index is the source for placement, the table for restarts.
 */
export const ORCHESTRATOR_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'edge devices, deployments, replicas',
    up: `
      CREATE TABLE edge_devices (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        region TEXT NOT NULL,
        cluster TEXT NOT NULL,
        tier TEXT NOT NULL CHECK (tier IN ('edge', 'cloud')),
        cpu_milli INTEGER NOT NULL,
        memory_mb INTEGER NOT NULL,
        gpus INTEGER NOT NULL,
        gpu_model TEXT,
        bandwidth_mbps REAL NOT NULL,
        slice TEXT CHECK (slice IN ('eMBB', 'URLLC', 'mMTC')),
        cost_per_hour REAL NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('online', 'degraded', 'offline')),
        load REAL NOT NULL,
        rtt_ms REAL,
        last_seen_ms INTEGER NOT NULL,
        source TEXT NOT NULL,
        registered_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX edge_devices_region ON edge_devices (region);

      CREATE TABLE edge_deployments (
        name TEXT PRIMARY KEY,
        module TEXT NOT NULL,
        version INTEGER NOT NULL,
        replicas INTEGER NOT NULL,
        requirements TEXT NOT NULL,
        strategy TEXT NOT NULL,
        span_clusters INTEGER NOT NULL,
        state TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE edge_replicas (
        deployment TEXT NOT NULL REFERENCES edge_deployments (name) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        device_id TEXT NOT NULL,
        module TEXT NOT NULL,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        gpu_slots TEXT NOT NULL,
        location TEXT NOT NULL,
        estimated_latency_ms REAL NOT NULL,
        score REAL NOT NULL,
        reason TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (deployment, idx)
      ) STRICT;
      CREATE INDEX edge_replicas_device ON edge_replicas (device_id);
    `,
  },
]
