// The one list of mailbox kinds. The database's CHECK constraints spell the same four values;
// `local` is a mailbox fed only by `inlet import` and has no provider behind it.
export const providerKinds = ['local', 'imap', 'gmail', 'graph'] as const;

export type ProviderKind = (typeof providerKinds)[number];
