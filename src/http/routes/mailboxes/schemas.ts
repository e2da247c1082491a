import { Type } from 'typebox';
import { Timestamp, Uuid } from '../../schemas.js';

export const Mailbox = Type.Object(
  {
    id: Uuid,
    provider: Type.Union([Type.Literal('local'), Type.Literal('imap'), Type.Literal('gmail'), Type.Literal('graph')]),
    status: Type.Union([Type.Literal('active'), Type.Literal('reauth_required'), Type.Literal('error'), Type.Literal('disconnecting'), Type.Literal('disconnected')]),
    address: Type.Union([Type.String(), Type.Null()], { description: 'null once the mailbox data was destroyed' }),
    display_name: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
  },
  { $id: 'Mailbox' },
);
