import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gridWindow, missingRange, scrollDelta } from '../../webview/frames/grid';

test('frames grid: only the rows near the viewport are built; spacers stand in for the rest', () => {
  // 2,550 frames in 3 columns (850 rows) of pitch 130 px, the viewport showing rows 100–106.
  const w = gridWindow({ count: 2550, columns: 3, pitch: 130, top: 13_000, bottom: 13_900, overscan: 2 });
  assert.deepEqual(w, { start: 98 * 3, end: 109 * 3, before: 98 * 130, after: (849 - 108) * 130 });
  // Built rows + spacers = the whole grid's height.
  assert.equal(w.before + ((w.end - w.start) / 3) * 130 + w.after, 850 * 130);
  assert.ok(w.end - w.start <= 40, `${w.end - w.start} thumbnails built for a 900 px viewport`);
});

test('frames grid: the top, the end, a short last row, scrolled past the end, and edge cases', () => {
  assert.deepEqual(gridWindow({ count: 100, columns: 2, pitch: 100, top: 0, bottom: 300, overscan: 1 }), {
    start: 0,
    end: 10,
    before: 0,
    after: (49 - 4) * 100,
  });
  // The end: 101 frames in 2 columns, the last row holds one.
  const end = gridWindow({ count: 101, columns: 2, pitch: 100, top: 4700, bottom: 5100, overscan: 1 });
  assert.equal(end.end, 101);
  assert.equal(end.after, 0);
  // A viewport past the end (the grid shrank under it) still builds the last rows.
  const past = gridWindow({ count: 10, columns: 2, pitch: 100, top: 9000, bottom: 9500, overscan: 1 });
  assert.equal(past.end, 10);
  assert.ok(past.start < 10);
  // Empty, and no measured pitch yet: a first screenful.
  assert.deepEqual(gridWindow({ count: 0, columns: 3, pitch: 100, top: 0, bottom: 500, overscan: 2 }), {
    start: 0,
    end: 0,
    before: 0,
    after: 0,
  });
  assert.deepEqual(gridWindow({ count: 50, columns: 3, pitch: 0, top: 0, bottom: 500, overscan: 2 }), {
    start: 0,
    end: 9,
    before: 0,
    after: 0,
  });
});

test('frames grid: the missing positions are asked for as one bounded range', () => {
  const have = new Set([10, 11, 14, 20]);
  assert.deepEqual(
    missingRange(10, 15, (p) => have.has(p), 256),
    { start: 12, end: 14 },
  );
  assert.equal(
    missingRange(10, 12, (p) => have.has(p), 256),
    undefined,
  );
  assert.deepEqual(
    missingRange(0, 1000, () => false, 256),
    { start: 0, end: 256 },
  );
});

test('frames grid: revealing a row scrolls by the least that shows it', () => {
  assert.equal(scrollDelta(5, 100, 500, 900), 0); // visible
  assert.equal(scrollDelta(2, 100, 500, 900), 200 - 500 - 6); // above: up to it
  assert.equal(scrollDelta(12, 100, 500, 900), 1300 - 900 + 6); // below: down to its bottom
});
