-- Per-practice network allowlist for staff: CIDR ranges (IPv4 and IPv6). Empty: no restriction.
ALTER TABLE organisations ADD COLUMN ip_allowlist text[] NOT NULL DEFAULT '{}';
