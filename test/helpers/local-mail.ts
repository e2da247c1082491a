// The test mail servers (Dovecot, the SMTP sink) listen on 127.0.0.1 on random high ports, which the
// egress guard refuses by default. Tests allow them the way an operator allows a self-hosted mail
// server: an explicit allow-list in configuration, not a weaker default. Neither offers STARTTLS, so
// the mailboxes opt in to plain text (allow_plaintext), which NODE_ENV=test honours.
import { parsePolicy } from '../../src/net/egress-guard.js';

export const localMailEnv = {
  EGRESS_ALLOW_NETWORKS: '127.0.0.1',
  EGRESS_ALLOW_PORTS: '1024-65535',
} as const;

/** The same allow-list for tests that build providers without a container. */
export const localMailPolicy = {
  ...parsePolicy(localMailEnv.EGRESS_ALLOW_NETWORKS, localMailEnv.EGRESS_ALLOW_PORTS),
  allowPlaintext: true,
};
