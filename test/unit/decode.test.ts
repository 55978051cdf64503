/** UTF-8 decoding that reports what it replaced (src/core/readers/decode.ts) and terminal escaping (util/terminal.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { incompleteTail, invalidUtf8Offsets, sniffBinary, Utf8Decoder, type InvalidUtf8 } from '../../src/core/readers/decode';
import { escapeControl, escapeJsonControl } from '../../src/core/util/terminal';

function lcgBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

test('invalidUtf8Offsets finds exactly the sequences the WHATWG decoder replaces', () => {
  for (let seed = 1; seed <= 40; seed++) {
    // Mostly text with bytes of every kind mixed in; no legitimate U+FFFD (EF BF BD) can occur by chance often, so
    // the decoder's U+FFFD count minus the encoded ones is the number of replacements.
    const bytes = lcgBytes(4000, seed);
    const legit = (bytes.toString('latin1').match(/\xef\xbf\xbd/g) ?? []).length;
    const replaced = (new TextDecoder('utf-8').decode(bytes).match(/\uFFFD/g) ?? []).length - legit;
    assert.equal(invalidUtf8Offsets(bytes).length, replaced, `seed ${seed}`);
  }
  assert.deepEqual(invalidUtf8Offsets(Buffer.from([0x61, 0xe2, 0x82, 0x61, 0xff, 0xf0, 0x9f, 0x98, 0x80])), [1, 4]);
  assert.deepEqual(invalidUtf8Offsets(Buffer.from([0xed, 0xa0, 0x80])), [0, 1, 2], 'a surrogate half: three replacements');
});

test('Utf8Decoder: chunk boundaries inside a character change nothing; replacements located by line and byte offset', () => {
  const text = Buffer.concat([
    Buffer.from('ligne un: caf\u00e9 \u{1f600}\nligne deux: '),
    Buffer.from([0xe9, 0x20, 0xe9]),
    Buffer.from(' fin\ntrois \u4e2d\u6587\n'),
  ]);
  const whole: InvalidUtf8[] = [];
  const expected = new Utf8Decoder((i) => whole.push(i)).push(text);
  for (let size = 1; size <= 7; size++) {
    const found: InvalidUtf8[] = [];
    const decoder = new Utf8Decoder((i) => found.push(i));
    let out = '';
    for (let at = 0; at < text.length; at += size) {
      out += decoder.push(text.subarray(at, at + size));
    }
    out += decoder.end();
    assert.equal(out, new TextDecoder().decode(text), `chunks of ${size}`);
    assert.deepEqual(found, [{ line: 2, offset: text.indexOf(0xe9), count: 2 }], `chunks of ${size}`);
  }
  assert.ok(expected.length > 0);
  assert.equal(incompleteTail(Buffer.from([0x61, 0xf0, 0x9f])), 2);
  assert.equal(incompleteTail(Buffer.from([0x61, 0xc3, 0xa9])), 0);
});

test('sniffBinary: NUL, UTF-16 and mostly-invalid bytes are binary; Latin-1 prose and UTF-8 are not', () => {
  assert.match(sniffBinary(Buffer.from('abc\0def'))!, /NUL byte at byte offset 3/);
  assert.equal(sniffBinary(Buffer.from('{"a":1}\n\0\n{"b":2}\n'.repeat(10)), false), undefined, 'a few NULs in JSONL: lines, not the file');
  assert.match(sniffBinary(Buffer.from([0xff, 0xfe, 0x61, 0x00]))!, /UTF-16/);
  assert.match(sniffBinary(lcgBytes(5000, 7), false)!, /binary content/);
  assert.equal(
    sniffBinary(Buffer.from('Caf\xe9 au lait, cr\xe8me br\xfbl\xe9e, and a long sentence in English around them.', 'latin1')),
    undefined,
  );
  assert.equal(sniffBinary(Buffer.from('中文，日本語、한국어 ✓')), undefined);
});

test('escapeControl: C0, DEL, C1 and bidi controls become visible escapes; other text is untouched', () => {
  assert.equal(escapeControl('a\u001b]0;T\u0007\u001b[2J\u0000b'), 'a\\e]0;T\\x07\\e[2J\\x00b');
  assert.equal(escapeControl('x\u202ey\u2066z\u009b\u007f\n\t'), 'x\\u202ey\\u2066z\\x9b\\x7f\\n\\t');
  assert.equal(escapeControl('中文 café ✓ — “quotes”'), '中文 café ✓ — “quotes”');
  const json = escapeJsonControl(JSON.stringify({ k: 'a\u202eb\u009bc\u0001' }));
  assert.doesNotMatch(json, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
  assert.deepEqual(JSON.parse(json), { k: 'a\u202eb\u009bc\u0001' }, 'the same JSON value');
});
