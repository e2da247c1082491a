-- Audit ids shown to tenants were the global identity column: the gaps between a tenant's ids
-- showed how busy every other tenant was. Tenants now see a random id; the identity stays internal
-- (it orders records written in the same microsecond). Pages are keyed on (at, id) of the record
-- the cursor names, looked up by its public id inside the tenant.
ALTER TABLE audit_log ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX audit_log_tenant_public_id ON audit_log (tenant_id, public_id);
