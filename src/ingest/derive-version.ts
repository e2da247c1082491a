// The version of the derivation that turns a stored original into what the API shows: the parse
// (text body, the shown header fields, warnings), the sanitised HTML and the extracted reply
// (prepare.ts and everything under stages/ that it runs). Every inbound message row records the
// version that made (or last checked) its views in messages.derive_version (migration 0025).
//
// BUMP THIS by one in the same commit as any change to parsing, sanitising, html-to-text or reply
// extraction that changes what a stored message would show (a sanitiser fix, a charset fix, a
// better quote rule). Workers started with the new number rebuild every inbound message below it
// from its sealed original (the `messages.reparse` job, reparse.ts; docs/security-controls.md#reparse),
// so the fix reaches mail stored before it, not only new mail. A change that only makes the same
// output faster needs no bump (the rebuild costs a parse of every stored message).
//
// 1: what migration 0025 assumes of every row stored before it (the derivation of that release).
// 2: text a reader never sees left out (off-screen, same colour as its background), a forward-only
//    message shows the forwarded text, an HTML document sent as text/plain read in its <meta> charset.
export const DERIVE_VERSION = 2;
