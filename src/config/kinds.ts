// The shape of one configuration variable: its kind decides validation and the README's
// "expected" column.
export type Kind =
  | { type: 'string'; pattern?: RegExp; shape?: string }
  | { type: 'int'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' }
  | { type: 'url'; protocols: readonly string[] };

export interface Variable {
  name: string;
  kind: Kind;
  default?: string;
  secret?: boolean;
  description: string;
}

export const postgresUrl: Kind = { type: 'url', protocols: ['postgres:', 'postgresql:'] };
export const httpUrl: Kind = { type: 'url', protocols: ['http:', 'https:'] };

export function describe(kind: Kind): string {
  switch (kind.type) {
    case 'int':
      return `an integer from ${kind.min} to ${kind.max}`;
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
    case 'bool':
      return 'true or false';
    case 'url':
      return `a URL (${kind.protocols.map((p) => p.replace(':', '')).join(' or ')})`;
    case 'string':
      return kind.shape ?? 'a non-empty string';
  }
}

export function valid(kind: Kind, raw: string): boolean {
  switch (kind.type) {
    case 'int': {
      if (!/^-?\d+$/.test(raw)) return false;
      const n = Number(raw);
      return n >= kind.min && n <= kind.max;
    }
    case 'enum':
      return kind.values.includes(raw);
    case 'bool':
      return raw === 'true' || raw === 'false';
    case 'url': {
      try {
        return kind.protocols.includes(new URL(raw).protocol);
      } catch {
        return false;
      }
    }
    case 'string':
      return raw.length > 0 && (!kind.pattern || kind.pattern.test(raw));
  }
}
