// Process, database and key-management variables; config.ts concatenates the groups in README order.
import { httpUrl, postgresUrl, type Variable } from './kinds.js';

export const coreVariables = [
  {
    name: 'NODE_ENV',
    kind: { type: 'enum', values: ['development', 'production', 'test'] },
    default: 'development',
    description: 'production refuses embedded PostgreSQL and generated keys',
  },
  {
    name: 'HOST',
    kind: { type: 'string' },
    default: '127.0.0.1',
    description: 'address the API listens on (0.0.0.0 in containers)',
  },
  {
    name: 'PORT',
    kind: { type: 'int', min: 1, max: 65535 },
    default: '3000',
    description: 'API port',
  },
  {
    name: 'LOG_LEVEL',
    kind: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
    description: 'pino log level',
  },
  {
    name: 'DATABASE_URL',
    kind: postgresUrl,
    secret: true,
    description:
      'PostgreSQL connection of serve and worker: the application login role (member of inlet_app and inlet_service; production refuses a superuser or the owner); unset outside production = embedded PostgreSQL',
  },
  {
    name: 'DATABASE_OWNER_URL',
    kind: postgresUrl,
    secret: true,
    description:
      'PostgreSQL connection as the schema owner, for `inlet migrate` and the development auto-migrate only (serve and worker use DATABASE_URL, the application login role)',
  },
  {
    name: 'DATABASE_POOL_MAX',
    kind: { type: 'int', min: 1, max: 500 },
    default: '10',
    description: 'connections per process',
  },
  {
    name: 'DATABASE_POOL_MODE',
    kind: { type: 'enum', values: ['session', 'transaction'] },
    default: 'session',
    description:
      'transaction when DATABASE_URL goes through a transaction-mode pooler (PgBouncer before 1.21): neither Inlet nor its job queue then uses named prepared statements; see docs/scaling.md',
  },
  {
    name: 'INLET_DATA_DIR',
    kind: { type: 'string' },
    default: './.inlet',
    description: 'embedded PostgreSQL data and the development key file',
  },
  {
    name: 'INLET_EMBEDDED_PG_PORT',
    kind: { type: 'int', min: 1024, max: 65535 },
    description:
      'port of the embedded PostgreSQL (development); unset = a free port chosen on first start and kept in INLET_DATA_DIR',
  },
  {
    name: 'INLET_MASTER_KEYS',
    kind: {
      type: 'string',
      pattern:
        /^[a-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{43,44}(,[a-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{43,44})*$/,
      shape: 'id:base64(32 bytes)[,id:base64…], last one active',
    },
    secret: true,
    description:
      'key-encryption keyring; unset outside production = generated dev key in INLET_DATA_DIR',
  },
  {
    name: 'KEY_PROVIDER',
    kind: { type: 'enum', values: ['keyring', 'vault'] },
    default: 'keyring',
    description:
      'where key-encryption keys live: keyring = INLET_MASTER_KEYS (the operator adds the next key each epoch and removes retired ones); vault = HashiCorp Vault / OpenBao transit (Inlet rotates and destroys key versions itself)',
  },
  {
    name: 'KEY_EPOCH_DAYS',
    kind: { type: 'int', min: 1, max: 365 },
    default: '7',
    description:
      'a new KEK each epoch; every live data key is re-wrapped under it and the old KEK retires',
  },
  {
    name: 'KEY_RETENTION_DAYS',
    kind: { type: 'int', min: 1, max: 3650 },
    default: '30',
    description:
      'a retired KEK is destroyed this long after it retired; database backups are unreadable at most KEY_EPOCH_DAYS + KEY_RETENTION_DAYS after they were taken. Keep backups for at most this long',
  },
  {
    name: 'VAULT_ADDR',
    kind: httpUrl,
    description: 'Vault / OpenBao address (KEY_PROVIDER=vault)',
  },
  {
    name: 'VAULT_TOKEN',
    kind: { type: 'string' },
    secret: true,
    description:
      'token with update on transit encrypt, decrypt, keys/<key>/rotate, config and trim, and read on keys/<key>',
  },
  {
    name: 'VAULT_NAMESPACE',
    kind: { type: 'string' },
    description: 'Vault Enterprise / OpenBao namespace, if any',
  },
  {
    name: 'VAULT_TRANSIT_MOUNT',
    kind: { type: 'string', pattern: /^[A-Za-z0-9_-]{1,100}$/, shape: 'a mount path' },
    default: 'transit',
    description: 'mount path of the transit engine',
  },
  {
    name: 'VAULT_TRANSIT_KEY',
    kind: { type: 'string', pattern: /^[A-Za-z0-9_-]{1,100}$/, shape: 'a key name' },
    default: 'inlet-kek',
    description:
      'transit key whose versions are the KEK epochs (created as aes256-gcm96 when missing)',
  },
  {
    name: 'SUBJECT_EXPORT_EXPIRY_HOURS',
    kind: { type: 'int', min: 1, max: 168 },
    default: '24',
    description:
      'a data-subject export can be downloaded once within this many hours of completing; then it is deleted',
  },
] as const satisfies readonly Variable[];
