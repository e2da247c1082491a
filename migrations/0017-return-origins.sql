-- Where a consent flow may send the user's browser back to: origins each tenant registers through
-- the API (PUT /v1/return-origins). A return_url outside them is refused at start, and the callback
-- redirects only to an origin still registered, so Inlet is no open redirect.
CREATE TABLE tenant_return_origins (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  origin text NOT NULL CHECK (origin ~ '^https?://[^/?#]+$' AND length(origin) <= 300),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, origin)
);

GRANT SELECT, INSERT, DELETE ON tenant_return_origins TO inlet_app;
ALTER TABLE tenant_return_origins ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_return_origins FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_return_origins TO inlet_app USING (tenant_id = inlet_tenant_id()) WITH CHECK (tenant_id = inlet_tenant_id());
DO $$ BEGIN EXECUTE format('CREATE POLICY service_owner ON tenant_return_origins TO %I USING (true) WITH CHECK (true)', current_user); END $$;
