// The limits the structural pre-scan enforces before any MIME library sees a message, and the
// errors it refuses one with (parse.ts raises the size one itself).
import { AppError } from '../../errors.js';

export type LimitName = 'size' | 'parts' | 'depth' | 'headers';

export function limitError(limit: LimitName, detail: string): AppError {
  return limit === 'size'
    ? new AppError(
        'message_too_large',
        `The message is larger than the limit (${detail}).`,
        { limit },
        422,
      )
    : new AppError(
        'message_limit_exceeded',
        `The message exceeds the ${limit} limit (${detail}).`,
        { limit },
        422,
      );
}
