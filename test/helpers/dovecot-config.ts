// The dovecot.conf of a test instance: IMAP (and IMAPS when given a certificate) on 127.0.0.1 only,
// plain-text passwords in one file per user, maildirs under the instance's own folder.

export const MAIL_UID = 65534; // nobody
export const MAIL_GID = 65534; // nogroup

export function dovecotConfig(
  dir: string,
  port: number,
  tls: { port: number; cert: string; key: string } | null,
): string {
  return `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = inlet-test-${port}
protocols = imap
listen = 127.0.0.1
ssl = ${tls ? 'yes' : 'no'}
${tls ? `ssl_cert = <${tls.cert}\nssl_key = <${tls.key}` : ''}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_cache_size = 0
# No failure delay or per-IP auth penalty: tests log in with wrong passwords on purpose, and the
# penalty (2 s, doubling) would slow every later login from 127.0.0.1.
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
first_valid_uid = ${MAIL_UID}
mail_location = maildir:${dir}/mail/%u
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/users/%Lu
}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_GID} home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tls ? tls.port : 0}
  }
}
`;
}
