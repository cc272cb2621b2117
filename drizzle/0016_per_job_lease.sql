-- Each job is leased for its own operation's timeout plus a margin, not the longest of every tenant's
-- (queue/lease.ts). Jobs accepted before this get the default timeout's lease (10 s + 5 s); a constant
-- default makes the new column a catalog change, no table rewrite.
ALTER TABLE "jobs" ADD COLUMN "lease_ms" integer DEFAULT 15000 NOT NULL;
