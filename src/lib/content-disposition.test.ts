// The download header of a file whose name keeps characters a file system refuses: the UTF-8 name
// is given whole (percent-encoded), the plain fallback is a name any file system takes.
import { describe, expect, it } from 'vitest';

import { contentDisposition } from './content-disposition.js';

describe('contentDisposition', () => {
  it("keeps a '?' in the UTF-8 name and replaces it in the plain fallback", () => {
    expect(contentDisposition('Was ist das?.pdf')).toBe(
      `attachment; filename="Was ist das_.pdf"; filename*=UTF-8''Was%20ist%20das%3F.pdf`,
    );
  });

  it('replaces every character Windows refuses in the fallback, and encodes them in filename*', () => {
    const header = contentDisposition('a*b|c:d<e>f"g\\h/i.txt');
    expect(header).toContain('filename="a_b_c_d_e_f_g_h_i.txt"');
    expect(header).toContain(`filename*=UTF-8''a%2Ab%7Cc%3Ad%3Ce%3Ef%22g%5Ch%2Fi.txt`);
  });

  it('gives a non-ASCII name in filename* and underscores in the fallback', () => {
    expect(contentDisposition('Bestätigung.pdf')).toBe(
      `attachment; filename="Best_tigung.pdf"; filename*=UTF-8''Best%C3%A4tigung.pdf`,
    );
  });
});
